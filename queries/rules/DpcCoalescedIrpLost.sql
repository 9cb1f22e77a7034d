-- id: DpcCoalescedIrpLost
-- title: IRP passed to a DPC that was already queued, then never completed
-- severity: error
-- checks: "If the specified DPC object is already in the DPC queue, no operation is performed except to return FALSE." (the IRP in the dropped SystemArgument1 reaches no DPC routine and must be completed some other way)
-- source: ddi:nf-wdm-keinsertqueuedpc; k:registering-and-queuing-a-dpcforisr-routine
--
-- Only on a trace whose run finished (completed or stalled).
-- seq: the dropped DpcQueued; seq2: the IRP's allocation.
SELECT d.seq AS seq, l.allocated_seq AS seq2,
       printf('IRP %d was passed to %s while it was already queued; the argument was dropped and the IRP was never completed', d.irp, d.dpc) AS message
FROM events d
JOIN irp_lifetimes l ON l.irp = d.irp
WHERE d.kind = 'DpcQueued' AND d.result = 0
  AND (SELECT api FROM events WHERE kind = 'SessionEnded') IN ('completed', 'stalled')
  AND NOT EXISTS (SELECT 1 FROM events c WHERE c.irp = d.irp AND +c.kind = 'IrpCompletionRequested' AND c.seq > d.seq)
