-- id: LowerToHigherIrql
-- title: KeLowerIrql to an IRQL above the current one
-- severity: fatal
-- checks: "It is a fatal error to call KeLowerIrql using an input NewIrql that was not returned by the immediately preceding call to KeRaiseIrql." (lowering to a higher IRQL is bug check 0xC4, parameter 0x31)
-- source: ddi:nf-wdm-kelowerirql; C4:0x31; k:managing-hardware-priorities
--
-- The simulator stops the machine (bug check IRQL_NOT_LESS_OR_EQUAL) before such a change happens,
-- so the bug check is what the trace shows.
-- seq: the bug check; seq2: the calling routine's RoutineEntered.
SELECT b.seq AS seq, b.activation AS seq2,
       printf('%s called KeLowerIrql(%s) at IRQL %s, which would raise it', coalesce(b.routine, 'kernel code'),
              json_extract(b.detail, '$.requested'), json_extract(b.detail, '$.current')) AS message
FROM events b
WHERE b.kind = 'Bugcheck' AND b.api = 'IRQL_NOT_LESS_OR_EQUAL' AND json_extract(b.detail, '$.api') = 'KeLowerIrql'
