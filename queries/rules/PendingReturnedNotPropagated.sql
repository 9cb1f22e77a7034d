-- id: PendingReturnedNotPropagated
-- title: Completion routine saw PendingReturned but neither called IoMarkIrpPending nor returned STATUS_MORE_PROCESSING_REQUIRED
-- severity: error
-- checks: "If the Irp->PendingReturned flag is set, the IoCompletion routine must call IoMarkIrpPending" (unless it returns STATUS_MORE_PROCESSING_REQUIRED).
-- source: ddi:ns-wdm-_irp; ifs:checking-the-pendingreturned-flag; C9:0x228
--
-- seq: the completion routine's RoutineReturned; seq2: its RoutineEntered.
SELECT w.return_seq AS seq, w.entry_seq AS seq2,
       printf('%s ran with Irp->PendingReturned set for IRP %d, returned %s and did not call IoMarkIrpPending',
              w.routine, w.irp, irptrace_hex(w.status)) AS message
FROM completion_walks w
WHERE w.pending_returned AND NOT w.mpr AND NOT w.marked_pending AND w.return_seq IS NOT NULL
  -- the registrant's location exists (irp_lifetimes.stack_count, read from the IrpAllocated)
  AND w.loc <= (SELECT json_extract(a.detail, '$.stackCount') FROM events a WHERE a.irp = w.irp AND +a.kind = 'IrpAllocated' ORDER BY a.seq LIMIT 1)
