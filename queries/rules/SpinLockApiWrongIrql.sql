-- id: SpinLockApiWrongIrql
-- title: KeAcquireSpinLock above DISPATCH_LEVEL, or KeAcquireSpinLockAtDpcLevel below it
-- severity: fatal
-- checks: "Callers of KeAcquireSpinLock must be running at IRQL <= DISPATCH_LEVEL." (and KeAcquireSpinLockAtDpcLevel at IRQL >= DISPATCH_LEVEL)
-- source: C4:0x40; C4:0x41; C4:0x42; SDV:IrqlDispatch
--
-- seq: the bug check or the SpinLockAcquired; seq2: the calling routine's RoutineEntered.
SELECT b.seq AS seq, b.activation AS seq2,
       printf('%s called %s at IRQL %s, above DISPATCH_LEVEL', coalesce(b.routine, 'kernel code'), json_extract(b.detail, '$.api'), json_extract(b.detail, '$.current')) AS message
FROM events b
WHERE b.kind = 'Bugcheck' AND b.api = 'IRQL_NOT_GREATER_OR_EQUAL' AND json_extract(b.detail, '$.api') IN ('KeAcquireSpinLock', 'KeAcquireSpinLockForDpc')
UNION ALL
SELECT a.seq, a.activation, printf('%s called KeAcquireSpinLockAtDpcLevel(%s) at IRQL %d, below DISPATCH_LEVEL', coalesce(a.routine, 'kernel code'), a.lock, a.irql)
FROM events a
WHERE a.kind = 'SpinLockAcquired' AND a.api = 'KeAcquireSpinLockAtDpcLevel' AND a.irql < 2
