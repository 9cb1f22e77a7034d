-- irp_lifetimes: one row per IRP, from IrpAllocated to IrpFreed.
--   irp, api (IoManager, IoAllocateIrp, IoBuild…, IoMakeAssociatedIrp), major, master, stack_count, flags
--   allocated_seq, allocated_time_ns
--   allocated_activation, allocated_by_routine, allocated_by_driver, parent_irp
--                   the routine invocation that allocated it and the IRP that routine was called for
--                   (NULL for the I/O manager's IRPs)
--   called_seq      first IoCallDriver (IrpCalled)
--   pending_seq     first IoMarkIrpPending by a driver
--   completion_requested_seq   first IoCompleteRequest
--   completed_seq, completed_status   first time the completion walk reached the top (IrpCompleted)
--   freed_seq, freed_time_ns, freed_by   IrpFreed; freed_by = IoFreeIrp (a driver) or IoManager
--   freed_activation  the routine invocation that called IoFreeIrp
--   request_completed_seq, request_status   the requester's result (I/O manager IRPs)
--   lifetime_ns     freed_time_ns - allocated_time_ns
--   completion_requests, cancel_routine_sets   how many IoCompleteRequest and IoSetCancelRoutine calls it saw
SELECT a.irp, a.api, a.major, a.master,
       json_extract(a.detail, '$.stackCount') AS stack_count, json_extract(a.detail, '$.flags') AS flags,
       a.seq AS allocated_seq, a.time_ns AS allocated_time_ns,
       a.activation AS allocated_activation, a.routine AS allocated_by_routine, a.driver AS allocated_by_driver,
       p.irp AS parent_irp,
       g.called_seq, g.pending_seq, g.completion_requested_seq, g.completed_seq,
       (SELECT c.status FROM events c WHERE c.seq = g.completed_seq) AS completed_status,
       g.freed_seq, f.time_ns AS freed_time_ns, f.api AS freed_by, f.activation AS freed_activation,
       g.request_completed_seq, (SELECT q.status FROM events q WHERE q.seq = g.request_completed_seq) AS request_status,
       f.time_ns - a.time_ns AS lifetime_ns,
       g.completion_requests, g.cancel_routine_sets
FROM (
  SELECT irp,
         min(CASE WHEN kind = 'IrpAllocated' THEN seq END) AS allocated_seq,
         min(CASE WHEN kind = 'IrpCalled' THEN seq END) AS called_seq,
         min(CASE WHEN kind = 'IrpMarkedPending' AND api = 'IoMarkIrpPending' THEN seq END) AS pending_seq,
         min(CASE WHEN kind = 'IrpCompletionRequested' THEN seq END) AS completion_requested_seq,
         min(CASE WHEN kind = 'IrpCompleted' THEN seq END) AS completed_seq,
         min(CASE WHEN kind = 'IrpFreed' THEN seq END) AS freed_seq,
         min(CASE WHEN kind = 'RequestCompleted' THEN seq END) AS request_completed_seq,
         count(CASE WHEN kind = 'IrpCompletionRequested' THEN 1 END) AS completion_requests,
         count(CASE WHEN kind = 'CancelRoutineSet' THEN 1 END) AS cancel_routine_sets
  FROM events
  WHERE irp IS NOT NULL
    AND kind IN ('IrpAllocated', 'IrpCalled', 'IrpMarkedPending', 'IrpCompletionRequested', 'IrpCompleted', 'IrpFreed', 'RequestCompleted', 'CancelRoutineSet')
  GROUP BY irp
) g
JOIN events a ON a.seq = g.allocated_seq
LEFT JOIN events p ON p.seq = a.activation
LEFT JOIN events f ON f.seq = g.freed_seq
