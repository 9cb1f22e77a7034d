-- id: DoubleCompletion
-- title: IoCompleteRequest on an IRP that was already completed
-- severity: fatal
-- checks: "The driver should not complete an IRP twice." (a second IoCompleteRequest is bug check 0x44 MULTIPLE_IRP_COMPLETE_REQUESTS)
-- source: SDV:DoubleCompletion; bug check 0x44; ROS:irp.c#IofCompleteRequest
--
-- seq: the second IrpCompletionRequested; seq2: the IrpCompleted of the first completion.
SELECT c.seq AS seq, d.seq AS seq2,
       printf('%s completed IRP %d again; its completion already finished at seq %d', coalesce(c.routine, 'the I/O manager'), c.irp, d.seq) AS message
FROM events c
JOIN events d ON d.seq = (SELECT max(x.seq) FROM events x WHERE x.irp = c.irp AND x.kind = 'IrpCompleted' AND x.seq < c.seq)
WHERE c.kind = 'IrpCompletionRequested'
