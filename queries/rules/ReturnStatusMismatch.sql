-- id: ReturnStatusMismatch
-- title: Dispatch routine's return value differs from the IRP's final status or from what IoCallDriver returned
-- severity: error
-- checks: "A dispatch routine that completes an IRP returns the status it set in IoStatus.Status; one that passes the IRP down returns the value IoCallDriver returned."
-- source: C9:0x224; SDV:LowerDriverReturn; SDV:CompleteRequestStatusCheck; ifs:returning-status-from-dispatch-routines
--
-- seq: the RoutineReturned; seq2: the IoCompleteRequest or IrpCallReturned it should have matched.
SELECT r.return_seq AS seq, c.seq AS seq2,
       printf('%s completed IRP %d with %s but returned %s', r.routine, r.irp, irptrace_hex(c.status), irptrace_hex(r.status)) AS message
FROM routine_runs r
JOIN events c ON c.seq = (SELECT max(x.seq) FROM events x WHERE x.activation = r.activation AND x.kind = 'IrpCompletionRequested' AND x.irp = r.irp)
WHERE r.kind = 'Dispatch' AND r.return_seq IS NOT NULL AND r.status <> 0x103 AND r.status <> c.status
UNION ALL
SELECT r.return_seq, c.seq,
       printf('%s passed IRP %d down, IoCallDriver returned %s, but it returned %s', r.routine, r.irp, irptrace_hex(c.status), irptrace_hex(r.status))
FROM routine_runs r
JOIN events c ON c.seq = (SELECT max(x.seq) FROM events x WHERE x.activation = r.activation AND x.kind = 'IrpCallReturned' AND x.irp = r.irp)
WHERE r.kind = 'Dispatch' AND r.return_seq IS NOT NULL AND r.status <> c.status
  AND NOT EXISTS (SELECT 1 FROM events x WHERE x.activation = r.activation AND x.kind IN ('IrpCompletionRequested', 'IrpMarkedPending') AND x.irp = r.irp)
