-- completion_walks: one row per completion routine run, grouped by the IoCompleteRequest walk it ran in.
--   irp             the IRP being completed
--   walk_seq        the IrpCompletionRequested that started the walk
--   step            1, 2, … : order of the routines within that walk
--   activation, routine, driver, loc (the registrant's location), entry_seq, return_seq
--   pending_returned  1 when Irp->PendingReturned was set for this routine (the location below was marked pending)
--   status          what the routine returned; mpr = 1 for STATUS_MORE_PROCESSING_REQUIRED (the walk stopped there)
--   marked_pending  1 when the routine itself called IoMarkIrpPending
SELECT w.irp, w.walk_seq,
       row_number() OVER (PARTITION BY w.irp, w.walk_seq ORDER BY w.entry_seq) AS step,
       w.activation, w.routine, w.driver, w.loc, w.entry_seq, w.return_seq,
       w.pending_returned, w.status, w.status = 0xC0000016 AS mpr, w.marked_pending
FROM (
  SELECT r.irp, r.activation, r.routine, r.driver, r.entry_loc AS loc, r.entry_seq, r.return_seq, r.status,
         (SELECT max(c.seq) FROM events c WHERE c.irp = r.irp AND c.kind = 'IrpCompletionRequested' AND c.seq < r.entry_seq) AS walk_seq,
         EXISTS (SELECT 1 FROM events m
                 WHERE m.irp = r.irp AND m.kind = 'IrpMarkedPending' AND m.loc = r.entry_loc - 1 AND m.seq < r.entry_seq
                   AND m.seq > coalesce((SELECT max(c.seq) FROM events c
                                         WHERE c.irp = r.irp AND c.kind = 'IrpCalled' AND c.loc = r.entry_loc - 1 AND c.seq < r.entry_seq), -1)) AS pending_returned,
         EXISTS (SELECT 1 FROM events m WHERE m.activation = r.activation AND m.kind = 'IrpMarkedPending' AND m.irp = r.irp) AS marked_pending
  FROM routine_runs r
  WHERE r.kind = 'Completion'
) w
