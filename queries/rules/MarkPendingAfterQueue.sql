-- id: MarkPendingAfterQueue
-- title: IRP queued before IoMarkIrpPending
-- severity: fatal
-- checks: "The IRP must be marked pending before it is queued." (another processor may dequeue and complete it before the mark)
-- source: SDV:MarkingQueuedIrps; SDV:MarkingInterlockedQueuedIrps; ddi:nf-wdm-iomarkirppending
--
-- seq: the routine's IoMarkIrpPending of its IRP; seq2: the IrpQueued that preceded it.
SELECT r.marked_pending_seq AS seq, q.seq AS seq2,
       printf('%s queued IRP %d (%s) before marking it pending', r.routine, r.irp, q.api) AS message
FROM events q
CROSS JOIN routine_runs r ON r.activation = q.activation
WHERE q.kind = 'IrpQueued' AND q.irp = +r.irp AND q.seq < r.marked_pending_seq
