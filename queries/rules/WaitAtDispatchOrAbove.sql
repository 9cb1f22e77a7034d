-- id: WaitAtDispatchOrAbove
-- title: Wait on a dispatcher object at DISPATCH_LEVEL or above, or in a DPC
-- severity: fatal
-- checks: "Callers of KeWaitForSingleObject must be running at IRQL <= DISPATCH_LEVEL. However, if Timeout = NULL or *Timeout != 0, the caller must be running at IRQL <= APC_LEVEL and in a nonarbitrary thread context."
-- source: C4:0x3B; k:managing-hardware-priorities; bug check 0xB8 ATTEMPTED_SWITCH_FROM_DPC; k:introduction-to-threaded-dpcs ("must not block on passive-level synchronization objects such as KEVENT objects")
--
-- A threaded DPC runs at PASSIVE_LEVEL in its processor's DPC thread but is held to the DPC rules:
-- any wait in a DPC thread (that thread runs nothing but threaded DPCs) is reported too.
-- seq: the bug check (or the WaitStarted); seq2: the waiting routine's RoutineEntered.
SELECT b.seq AS seq, b.activation AS seq2,
       printf('%s waited on %s at IRQL %s%s', coalesce(b.routine, 'kernel code'), json_extract(b.detail, '$.object'), json_extract(b.detail, '$.irql'),
              CASE b.api WHEN 'ATTEMPTED_SWITCH_FROM_DPC' THEN ' inside a DPC' ELSE '' END) AS message
FROM events b
WHERE b.kind = 'Bugcheck' AND b.api IN ('ATTEMPTED_SWITCH_FROM_DPC', 'IRQL_NOT_LESS_OR_EQUAL') AND json_extract(b.detail, '$.object') IS NOT NULL
UNION ALL
SELECT w.seq, w.activation, printf('%s waited on %s at IRQL %d', coalesce(w.routine, 'kernel code'), json_extract(w.detail, '$.object'), w.irql)
FROM events w
WHERE w.kind = 'WaitStarted' AND w.irql >= 2
UNION ALL
SELECT w.seq, w.activation, printf('%s waited on %s in a threaded DPC (IRQL %d): a threaded DPC must obey the restrictions of DISPATCH_LEVEL code', coalesce(w.routine, 'kernel code'), json_extract(w.detail, '$.object'), w.irql)
FROM events w
WHERE w.kind = 'WaitStarted' AND w.irql < 2 AND w.thread IN (SELECT thread FROM routine_runs WHERE kind = 'ThreadedDpc')
