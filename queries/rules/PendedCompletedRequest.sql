-- id: PendedCompletedRequest
-- title: Dispatch routine completed the IRP itself, without marking it pending, then returned STATUS_PENDING
-- severity: error
-- checks: "A dispatch routine that completes an IRP must not return STATUS_PENDING unless it called IoMarkIrpPending." (PendedCompletedRequest: the driver returns STATUS_PENDING after IoCompleteRequest without IoMarkIrpPending)
-- source: SDV:PendedCompletedRequest
--
-- seq: the RoutineReturned; seq2: its (last) IoCompleteRequest.
SELECT r.return_seq AS seq, r.completed_seq AS seq2,
       printf('%s completed IRP %d itself and then returned STATUS_PENDING without having marked it pending', r.routine, r.irp) AS message
FROM routine_runs r
WHERE r.kind = 'Dispatch' AND r.status = 0x103 AND r.completed_seq IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM events m WHERE m.activation = r.activation AND +m.kind = 'IrpMarkedPending' AND m.irp = r.irp)
