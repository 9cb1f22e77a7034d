-- id: CancelRoutineMisbehaves
-- title: Cancel routine did not release the cancel spin lock, or did not complete the IRP with STATUS_CANCELLED
-- severity: error
-- checks: "The Cancel routine must release the cancel spin lock by calling IoReleaseCancelSpinLock" and "set the IRP's I/O status block to STATUS_CANCELLED, and complete the IRP."
-- source: ddi:nc-wdm-driver_cancel; SDV:CancelSpinLock; SDV:CancelSpinlockRelease
--
-- seq: the cancel routine's RoutineReturned; seq2: its RoutineEntered.
SELECT r.return_seq AS seq, r.entry_seq AS seq2,
       printf('%s (cancel routine for IRP %d) %s', r.routine, r.irp,
              CASE WHEN NOT EXISTS (SELECT 1 FROM events x WHERE x.cpu = r.cpu AND x.seq > r.entry_seq AND x.seq < r.return_seq AND x.kind = 'SpinLockReleased' AND x.api = 'IoReleaseCancelSpinLock')
                   THEN 'returned without releasing the cancel spin lock'
                   ELSE 'did not complete the IRP with STATUS_CANCELLED' END) AS message
FROM routine_runs r
WHERE r.kind = 'Cancel' AND r.return_seq IS NOT NULL
  AND (NOT EXISTS (SELECT 1 FROM events x WHERE x.cpu = r.cpu AND x.seq > r.entry_seq AND x.seq < r.return_seq AND x.kind = 'SpinLockReleased' AND x.api = 'IoReleaseCancelSpinLock')
       OR NOT EXISTS (SELECT 1 FROM events c WHERE c.irp = r.irp AND c.kind = 'IrpCompletionRequested' AND c.status = 0xC0000120 AND c.seq > r.entry_seq AND c.seq < r.return_seq))
