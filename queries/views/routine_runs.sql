-- routine_runs: one row per driver routine invocation (a RoutineEntered and its RoutineReturned).
--   activation      seq of the RoutineEntered: the `activation` of every event the routine emitted itself
--   routine, kind, driver, device, irp, dpc
--                   the routine's function name; kind = DriverEntry, AddDevice, Dispatch, StartIo, Isr,
--                   Dpc, Completion or Cancel; the IRP it was called for (Dpc: SystemArgument1)
--   cpu, thread     where it started
--   entry_seq, entry_time_ns, entry_irql, entry_loc
--   return_seq, return_time_ns, return_irql, return_loc   NULL if it never returned (bug check, cut trace)
--   status          what it returned (NTSTATUS; an ISR's BOOLEAN as 1/0; NULL for VOID routines)
--   duration_ns     return_time_ns - entry_time_ns (includes nested interrupts and DPCs)
SELECT e.seq AS activation, e.routine, e.api AS kind, e.driver, e.device, e.irp, e.dpc, e.cpu, e.thread,
       e.seq AS entry_seq, e.time_ns AS entry_time_ns, e.irql AS entry_irql, e.loc AS entry_loc,
       r.seq AS return_seq, r.time_ns AS return_time_ns, r.irql AS return_irql, r.loc AS return_loc,
       r.status AS status, r.time_ns - e.time_ns AS duration_ns
FROM events e
LEFT JOIN events r
  ON r.seq = (SELECT max(x.seq) FROM events x WHERE x.activation = e.seq) AND r.kind = 'RoutineReturned'
WHERE e.kind = 'RoutineEntered'
