-- id: StatusPendingWithoutMark
-- title: Dispatch routine returned STATUS_PENDING without IoMarkIrpPending
-- severity: error
-- checks: "Any driver that returns STATUS_PENDING must call IoMarkIrpPending before returning." (unless it returns what IoCallDriver returned for the IRP it passed down)
-- source: SDV:MarkIrpPending2; C9:0x23D; ddi:nf-wdm-iomarkirppending
--
-- seq: the RoutineReturned; seq2: its RoutineEntered.
SELECT r.return_seq AS seq, r.entry_seq AS seq2,
       printf('%s returned STATUS_PENDING for IRP %d without marking it pending (IoMarkIrpPending) or passing it down', r.routine, r.irp) AS message
FROM routine_runs r
WHERE r.kind = 'Dispatch' AND r.status = 0x103
  AND r.marked_pending_seq IS NULL
  AND NOT EXISTS (SELECT 1 FROM events m WHERE m.activation = r.activation AND +m.kind = 'IrpMarkedPending' AND m.irp = r.irp)
  AND r.call_status IS NOT 0x103
