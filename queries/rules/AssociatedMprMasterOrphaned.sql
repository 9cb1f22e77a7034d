-- id: AssociatedMprMasterOrphaned
-- title: Associated IRP's completion routine returned STATUS_MORE_PROCESSING_REQUIRED, and the master was never completed or the IRP never freed
-- severity: error
-- checks: "If any associated IRP's IoCompletion routine returns STATUS_MORE_PROCESSING_REQUIRED, the caller must explicitly complete the master IRP."
-- source: ddi:nf-ntddk-iomakeassociatedirp; ddi:nf-wdm-iofreeirp
--
-- Only on a trace whose run finished (completed or stalled): a cut trace cannot say "never".
-- seq: the completion routine's RoutineReturned (MPR); seq2: the master's allocation.
SELECT w.return_seq AS seq, m.seq AS seq2,
       printf('%s returned STATUS_MORE_PROCESSING_REQUIRED for associated IRP %d; afterwards %s',
              w.routine, w.irp,
              CASE WHEN f.seq IS NULL AND NOT EXISTS (SELECT 1 FROM events c WHERE c.irp = m.irp AND +c.kind = 'IrpCompletionRequested' AND c.seq > w.return_seq)
                   THEN printf('IRP %d was never freed and master IRP %d never completed', w.irp, m.irp)
                   WHEN f.seq IS NULL THEN printf('IRP %d was never freed', w.irp)
                   ELSE printf('master IRP %d was never completed', m.irp) END) AS message
FROM events s
CROSS JOIN completion_walks w
-- its allocation (IoMakeAssociatedIrp), the master's, and its IoFreeIrp: irp_lifetimes' columns, read from the events
JOIN events a ON a.irp = w.irp AND a.kind = 'IrpAllocated' AND a.api = 'IoMakeAssociatedIrp'
JOIN events m ON m.irp = a.master AND m.kind = 'IrpAllocated'
LEFT JOIN events f ON f.seq = (SELECT min(x.seq) FROM events x WHERE x.irp = w.irp AND +x.kind = 'IrpFreed')
WHERE s.kind = 'SessionEnded' AND s.api IN ('completed', 'stalled') AND w.mpr
  AND (f.seq IS NULL
       OR NOT EXISTS (SELECT 1 FROM events c WHERE c.irp = m.irp AND +c.kind = 'IrpCompletionRequested' AND c.seq > w.return_seq))
