-- id: DoubleCompletion
-- title: IoCompleteRequest on an IRP that was already completed
-- severity: fatal
-- checks: "The driver should not complete an IRP twice." (a second IoCompleteRequest on a finished IRP is bug check 0x44 MULTIPLE_IRP_COMPLETE_REQUESTS; one by a driver that no longer owns the IRP completes someone else's IRP)
-- source: SDV:DoubleCompletion; bug check 0x44; ROS:irp.c#IofCompleteRequest
--
-- A completion is a second one when, since the previous IoCompleteRequest of the IRP, its walk
-- finished (IrpCompleted) or it was freed, or the walk was stopped (STATUS_MORE_PROCESSING_REQUIRED)
-- by another driver's completion routine, which owns the IRP again — unless its owner reinitialised
-- it with IoReuseIrp in between (IrpReused): that starts a new request in the same IRP.
-- seq: the second IrpCompletionRequested; seq2: the previous one.
SELECT c.seq AS seq, p.seq AS seq2,
       printf('%s completed IRP %d again (it was completed at seq %d, %s)', coalesce(c.routine, 'the I/O manager'), c.irp, p.seq,
              CASE WHEN EXISTS (SELECT 1 FROM events d WHERE d.irp = c.irp AND d.kind = 'IrpFreed' AND d.seq > p.seq AND d.seq < c.seq) THEN 'and freed since'
                   WHEN EXISTS (SELECT 1 FROM events d WHERE d.irp = c.irp AND d.kind = 'IrpCompleted' AND d.seq > p.seq AND d.seq < c.seq) THEN 'and that completion finished'
                   ELSE 'and taken back by another driver''s completion routine' END) AS message
FROM irp_lifetimes l
CROSS JOIN events c ON c.irp = l.irp AND +c.kind = 'IrpCompletionRequested'
JOIN events p ON p.seq = (SELECT max(x.seq) FROM events x WHERE x.irp = c.irp AND +x.kind = 'IrpCompletionRequested' AND x.seq < c.seq)
WHERE l.completion_requests > 1
  AND NOT EXISTS (SELECT 1 FROM events u WHERE u.irp = c.irp AND u.kind = 'IrpReused' AND u.seq > p.seq AND u.seq < c.seq)
  AND (EXISTS (SELECT 1 FROM events d WHERE d.irp = c.irp AND d.kind IN ('IrpCompleted', 'IrpFreed') AND d.seq > p.seq AND d.seq < c.seq)
       -- the driver of the last completion routine of walk p that returned STATUS_MORE_PROCESSING_REQUIRED
       -- (completion_walks with walk_seq = p.seq and mpr, read from the events)
       OR coalesce((SELECT e.driver FROM events e
                    JOIN events r ON r.seq = (SELECT max(x.seq) FROM events x WHERE x.activation = e.seq) AND r.kind = 'RoutineReturned'
                    WHERE e.irp = c.irp AND +e.kind = 'RoutineEntered' AND e.api = 'Completion' AND e.seq > p.seq AND e.seq < c.seq
                      AND r.status = 0xC0000016
                    ORDER BY e.seq DESC LIMIT 1), c.driver) <> c.driver)
