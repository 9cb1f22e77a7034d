-- id: DriverIrpWithoutCompletionRoutine
-- title: Driver-allocated IRP sent down without a completion routine invoked on success, error and cancel
-- severity: error
-- checks: "A driver that allocates an IRP must set an IoCompletion routine with InvokeOnSuccess, InvokeOnError and InvokeOnCancel all TRUE, which frees the IRP."
-- source: SDV:IoAllocateForward; SDV:IoBuildFsdForward; ddi:nf-wdm-iosetcompletionroutine
--
-- seq: the IrpCalled; seq2: the IRP's allocation.
SELECT c.seq AS seq, l.allocated_seq AS seq2,
       printf('%s sent IRP %d (allocated with %s) down without a completion routine invoked on success, error and cancel',
              coalesce(c.routine, 'kernel code'), c.irp, l.api) AS message
FROM irp_lifetimes l
JOIN events c ON c.seq = l.called_seq
WHERE l.api IN ('IoAllocateIrp', 'IoBuildAsynchronousFsdRequest')
  AND NOT EXISTS (SELECT 1 FROM events s WHERE s.irp = l.irp AND +s.kind = 'CompletionRoutineSet' AND s.seq < c.seq
                    AND json_extract(s.detail, '$.onSuccess') AND json_extract(s.detail, '$.onError') AND json_extract(s.detail, '$.onCancel'))
