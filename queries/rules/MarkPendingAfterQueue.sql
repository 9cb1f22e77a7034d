-- id: MarkPendingAfterQueue
-- title: IRP queued before IoMarkIrpPending
-- severity: fatal
-- checks: "The IRP must be marked pending before it is queued." (another processor may dequeue and complete it before the mark)
-- source: SDV:MarkingQueuedIrps; SDV:MarkingInterlockedQueuedIrps; ddi:nf-wdm-iomarkirppending
--
-- seq: the IrpMarkedPending; seq2: the IrpQueued that preceded it.
SELECT m.seq AS seq, q.seq AS seq2,
       printf('%s queued IRP %d (%s) before marking it pending', coalesce(m.routine, 'kernel code'), m.irp, q.api) AS message
FROM events m
JOIN events q ON q.activation = m.activation AND q.kind = 'IrpQueued' AND q.irp = m.irp AND q.seq < m.seq
WHERE m.kind = 'IrpMarkedPending' AND m.api = 'IoMarkIrpPending'
