-- id: CompleteAtBadIrqlOrUnderLock
-- title: IoCompleteRequest above DISPATCH_LEVEL or while holding a spin lock
-- severity: fatal
-- checks: "Callers of IoCompleteRequest must be running at IRQL <= DISPATCH_LEVEL." (and must not hold a spin lock across it: the completion routines above run inside the call)
-- source: ddi:nf-wdm-iocompleterequest; C9:0x0E; SDV:SpinLockSafe
--
-- seq: the IrpCompletionRequested; seq2: the SpinLockAcquired still held (NULL when the IRQL is the problem).
SELECT c.seq AS seq, NULL AS seq2,
       printf('%s called IoCompleteRequest(IRP %d) at IRQL %d, above DISPATCH_LEVEL', coalesce(c.routine, 'kernel code'), c.irp, c.irql) AS message
FROM events c
WHERE c.kind = 'IrpCompletionRequested' AND c.irql > 2
UNION ALL
SELECT c.seq, a.seq, printf('%s called IoCompleteRequest(IRP %d) holding spin lock %s', coalesce(c.routine, 'kernel code'), c.irp, a.lock)
FROM events a
CROSS JOIN events c ON c.activation = a.activation AND +c.kind = 'IrpCompletionRequested' AND c.seq > a.seq
WHERE a.kind = 'SpinLockAcquired' AND a.api NOT IN ('Interrupt', 'KeSynchronizeExecution') AND c.irql <= 2
  AND NOT EXISTS (SELECT 1 FROM events x WHERE x.cpu = a.cpu AND x.seq > a.seq AND x.seq < c.seq AND x.kind = 'SpinLockReleased' AND x.lock = a.lock)
