-- id: SpinLockHeldAtReturn
-- title: Routine returned while still holding a spin lock it acquired
-- severity: error
-- checks: "KeAcquireSpinLock is called before KeReleaseSpinLock, and the driver releases every spin lock it acquired before it returns." (SpinLock rule: acquire and release alternate, and the lock is released before the routine exits)
-- source: SDV:SpinLock; SDV:SpinLockDpc; SDV:CancelSpinLock; SDV:QueuedSpinLock
--
-- seq: the RoutineReturned; seq2: the SpinLockAcquired.
SELECT r.return_seq AS seq, a.seq AS seq2,
       printf('%s (%s) returned still holding spin lock %s (acquired with %s)', r.routine, r.kind, a.lock, a.api) AS message
FROM events a
JOIN routine_runs r ON r.activation = a.activation
WHERE a.kind = 'SpinLockAcquired' AND a.api NOT IN ('Interrupt', 'KeSynchronizeExecution')
  AND r.return_seq IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM events x
                  WHERE x.cpu = a.cpu AND x.seq > a.seq AND x.seq < r.return_seq
                    AND x.kind = 'SpinLockReleased' AND x.lock = a.lock)
