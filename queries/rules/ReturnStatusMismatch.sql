-- id: ReturnStatusMismatch
-- title: Dispatch routine's return value differs from the IRP's final status or from what IoCallDriver returned
-- severity: error
-- checks: "A dispatch routine that completes an IRP returns the status it set in IoStatus.Status; one that passes the IRP down returns the value IoCallDriver returned."
-- source: C9:0x224; SDV:LowerDriverReturn; SDV:CompleteRequestStatusCheck; ifs:returning-status-from-dispatch-routines
--
-- seq: the RoutineReturned; seq2: the IoCompleteRequest or IrpCallReturned it should have matched.
SELECT r.return_seq AS seq, r.completed_seq AS seq2,
       printf('%s completed IRP %d with %s but returned %s', r.routine, r.irp, irptrace_hex(r.completed_status), irptrace_hex(r.status)) AS message
FROM routine_runs r
WHERE r.kind = 'Dispatch' AND r.return_seq IS NOT NULL AND r.status <> 0x103
  AND r.completed_seq IS NOT NULL AND r.status <> r.completed_status
UNION ALL
SELECT r.return_seq, r.call_returned_seq,
       printf('%s passed IRP %d down, IoCallDriver returned %s, but it returned %s', r.routine, r.irp, irptrace_hex(r.call_status), irptrace_hex(r.status))
FROM routine_runs r
WHERE r.kind = 'Dispatch' AND r.return_seq IS NOT NULL AND r.call_returned_seq IS NOT NULL AND r.status <> r.call_status
  AND r.completed_seq IS NULL AND r.marked_pending_seq IS NULL
  AND NOT EXISTS (SELECT 1 FROM events x WHERE x.activation = r.activation AND +x.kind = 'IrpMarkedPending' AND x.irp = r.irp)
