-- id: DispatchLeftIrpDangling
-- title: Dispatch routine returned a status other than STATUS_PENDING without completing or passing down the IRP
-- severity: fatal
-- checks: "A dispatch routine must complete the IRP, pass it on to a lower driver, or mark it pending and return STATUS_PENDING." (Driver Verifier: a dispatch routine returned a status other than STATUS_PENDING without completing the IRP)
-- source: C9:0x226; SDV:IrpProcessingComplete; ddi:nf-wdm-iomarkirppending
--
-- seq: the RoutineReturned; seq2: the RoutineEntered.
SELECT r.return_seq AS seq, r.entry_seq AS seq2,
       printf('%s returned %s for IRP %d without completing it or passing it down; the IRP was not completed when it returned',
              r.routine, irptrace_hex(r.status), r.irp) AS message
FROM routine_runs r
WHERE r.kind = 'Dispatch' AND r.return_seq IS NOT NULL AND r.status <> 0x103
  AND r.passed_down_seq IS NULL AND r.completed_seq IS NULL
  AND NOT EXISTS (SELECT 1 FROM events c WHERE c.irp = r.irp AND +c.kind = 'IrpCompletionRequested' AND c.seq > r.entry_seq AND c.seq < r.return_seq)
