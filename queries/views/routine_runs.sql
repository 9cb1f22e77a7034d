-- routine_runs: one row per driver routine invocation (a RoutineEntered and its RoutineReturned).
--   activation      seq of the RoutineEntered: the `activation` of every event the routine emitted itself
--   routine, kind, driver, device, irp, dpc
--                   the routine's function name; kind = DriverEntry, AddDevice, Dispatch, StartIo, Isr,
--                   Dpc, ThreadedDpc, Completion, Cancel, SystemThread or Unload; the IRP it was called for (Dpc: SystemArgument1)
--   cpu, thread     where it started
--   entry_seq, entry_time_ns, entry_irql, entry_loc
--   return_seq, return_time_ns, return_irql, return_loc   NULL if it never returned (bug check, cut trace)
--   status          what it returned (NTSTATUS; an ISR's BOOLEAN as 1/0; NULL for VOID routines)
--   duration_ns     return_time_ns - entry_time_ns (includes nested interrupts and DPCs)
-- What the routine itself did to the IRP it was called for (NULL / 0: nothing):
--   marked_pending_seq            its first IoMarkIrpPending of that IRP
--   passed_down_seq               its first IoCallDriver of that IRP
--   call_returned_seq, call_status  the last IoCallDriver of that IRP returning, and what it returned
--   completed_seq, completed_status  its last IoCompleteRequest of that IRP, and IoStatus.Status then
WITH own AS (
  SELECT activation, irp,
         min(CASE WHEN kind = 'IrpMarkedPending' AND api = 'IoMarkIrpPending' THEN seq END) AS marked_pending_seq,
         min(CASE WHEN kind = 'IrpCalled' THEN seq END) AS passed_down_seq,
         max(CASE WHEN kind = 'IrpCallReturned' THEN seq * 4294967296 + status END) AS call_returned,
         max(CASE WHEN kind = 'IrpCompletionRequested' THEN seq * 4294967296 + status END) AS completed
  FROM events
  WHERE kind IN ('IrpMarkedPending', 'IrpCalled', 'IrpCallReturned', 'IrpCompletionRequested') AND activation IS NOT NULL
  GROUP BY activation, irp
)
SELECT e.seq AS activation, e.routine, e.api AS kind, e.driver, e.device, e.irp, e.dpc, e.cpu, e.thread,
       e.seq AS entry_seq, e.time_ns AS entry_time_ns, e.irql AS entry_irql, e.loc AS entry_loc,
       r.seq AS return_seq, r.time_ns AS return_time_ns, r.irql AS return_irql, r.loc AS return_loc,
       r.status AS status, r.time_ns - e.time_ns AS duration_ns,
       o.marked_pending_seq, o.passed_down_seq,
       o.call_returned / 4294967296 AS call_returned_seq, o.call_returned % 4294967296 AS call_status,
       o.completed / 4294967296 AS completed_seq, o.completed % 4294967296 AS completed_status
FROM events e
LEFT JOIN events r
  ON r.seq = (SELECT max(x.seq) FROM events x WHERE x.activation = e.seq) AND r.kind = 'RoutineReturned'
LEFT JOIN own o ON o.activation = e.seq AND o.irp = e.irp
WHERE e.kind = 'RoutineEntered'
