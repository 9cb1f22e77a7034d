-- id: RaiseToLowerIrql
-- title: KeRaiseIrql to an IRQL below the current one
-- severity: fatal
-- checks: "If the new IRQL is less than the current IRQL, a bug check occurs."
-- source: ddi:nf-wdm-keraiseirql; C4:0x30
--
-- The simulator stops the machine (bug check IRQL_NOT_GREATER_OR_EQUAL) before such a raise happens,
-- so the bug check is what the trace shows.
-- seq: the bug check; seq2: the calling routine's RoutineEntered.
SELECT b.seq AS seq, b.activation AS seq2,
       printf('%s called KeRaiseIrql(%s) at IRQL %s', coalesce(b.routine, 'kernel code'),
              json_extract(b.detail, '$.requested'), json_extract(b.detail, '$.current')) AS message
FROM events b
WHERE b.kind = 'Bugcheck' AND b.api = 'IRQL_NOT_GREATER_OR_EQUAL' AND json_extract(b.detail, '$.api') IS NULL
