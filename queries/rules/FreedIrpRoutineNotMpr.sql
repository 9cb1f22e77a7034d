-- id: FreedIrpRoutineNotMpr
-- title: Completion routine freed the IRP it was called for, then returned something other than STATUS_MORE_PROCESSING_REQUIRED
-- severity: fatal
-- checks: "The IoCompletion routine must return STATUS_MORE_PROCESSING_REQUIRED" after it frees the IRP, so the I/O manager stops touching it.
-- source: k:implementing-an-iocompletion-routine; ddi:nf-wdm-iosetcompletionroutine; ROS:irp.c#IofCompleteRequest
--
-- seq: the RoutineReturned; seq2: the IoFreeIrp.
SELECT w.return_seq AS seq, f.seq AS seq2,
       printf('%s freed IRP %d and returned %s: the I/O manager goes on completing a freed IRP', w.routine, w.irp, irptrace_hex(w.status)) AS message
FROM completion_walks w
JOIN events f ON f.activation = w.activation AND f.kind = 'IrpFreed' AND f.irp = w.irp
WHERE NOT w.mpr AND w.return_seq IS NOT NULL
