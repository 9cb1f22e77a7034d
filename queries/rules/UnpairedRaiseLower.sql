-- id: UnpairedRaiseLower
-- title: KeLowerIrql with a value other than the one the matching KeRaiseIrql returned
-- severity: fatal
-- checks: "It is a fatal error to call KeLowerIrql using an input NewIrql that was not returned by the immediately preceding call to KeRaiseIrql."
-- source: ddi:nf-wdm-kelowerirql; SDV:IrqlKeRaiseLower; SDV:IrqlKeRaiseLower2
--
-- seq: the bug check; seq2: the last KeRaiseIrql on that processor before it.
SELECT b.seq AS seq,
       (SELECT max(r.seq) FROM events r WHERE r.cpu = b.cpu AND r.seq < b.seq AND r.kind = 'IrqlRaised' AND r.api IN ('KeRaiseIrql', 'KeRaiseIrqlToDpcLevel', 'KeRaiseIrqlToSynchLevel')) AS seq2,
       printf('%s called KeLowerIrql(%s) at IRQL %s; %s', coalesce(b.routine, 'kernel code'), json_extract(b.detail, '$.requested'),
              json_extract(b.detail, '$.current'),
              CASE WHEN json_extract(b.detail, '$.expected') IS NULL THEN 'no KeRaiseIrql is outstanding on this processor'
                   ELSE printf('the matching %s returned %s', coalesce(json_extract(b.detail, '$.lastRaise'), 'raise'), json_extract(b.detail, '$.expected')) END) AS message
FROM events b
WHERE b.kind = 'Bugcheck' AND b.api = 'IRQL_UNEXPECTED_VALUE' AND json_extract(b.detail, '$.requested') IS NOT NULL
