-- id: MasterCompletedWithAssociatedOutstanding
-- title: Master IRP completed while associated IRPs are outstanding
-- severity: fatal
-- checks: "When all associated IRPs have been completed, the I/O manager completes the master IRP." (the master is completed only after its last associated IRP is freed)
-- source: ddi:nf-ntddk-iomakeassociatedirp; ROS:irp.c#IofCompleteRequest
--
-- seq: IoCompleteRequest(master); seq2: the oldest associated IRP still outstanding (its allocation).
SELECT c.seq AS seq, min(a.allocated_seq) AS seq2,
       printf('%s completed master IRP %d while %d associated IRP(s) were not yet completed and freed (first: IRP %d)',
              coalesce(c.routine, 'the I/O manager'), c.irp, count(*), min(a.irp)) AS message
FROM events c
JOIN irp_lifetimes a ON a.master = c.irp AND a.api = 'IoMakeAssociatedIrp'
WHERE c.kind = 'IrpCompletionRequested'
  AND a.allocated_seq < c.seq
  AND (a.freed_seq IS NULL OR a.freed_seq > c.seq)
GROUP BY c.seq
