-- id: MarkPendingWithoutStatusPending
-- title: Dispatch routine called IoMarkIrpPending but did not return STATUS_PENDING
-- severity: error
-- checks: "If a driver calls IoMarkIrpPending, the driver must return STATUS_PENDING, even if some routine completes the IRP before the dispatch routine returns."
-- source: ddi:nf-wdm-iomarkirppending; SDV:MarkIrpPending; C9:0x23E
--
-- seq: the RoutineReturned; seq2: its IoMarkIrpPending.
SELECT r.return_seq AS seq, r.marked_pending_seq AS seq2,
       printf('%s marked IRP %d pending but returned %s instead of STATUS_PENDING', r.routine, r.irp, irptrace_hex(r.status)) AS message
FROM routine_runs r
WHERE r.kind = 'Dispatch' AND r.return_seq IS NOT NULL AND r.status <> 0x103 AND r.marked_pending_seq IS NOT NULL
