-- id: CompleteWithCancelRoutineSet
-- title: IRP completed while its cancel routine is still set
-- severity: fatal
-- checks: "The driver must set the Cancel routine to NULL before it completes the IRP." (Driver Verifier: an IRP was completed with a cancel routine still set)
-- source: C9:0x07; C9:0x23C; ddi:nf-wdm-iosetcancelroutine
--
-- A cancel routine set by IoSetCancelRoutine stays set until the next IoSetCancelRoutine of the IRP,
-- or until IoCancelIrp takes it to call it.
-- seq: the IrpCompletionRequested; seq2: the IoSetCancelRoutine that set the routine.
SELECT c.seq AS seq, s.seq AS seq2,
       printf('%s completed IRP %d while its cancel routine %s was still set', coalesce(c.routine, 'kernel code'), c.irp, json_extract(s.detail, '$.routine')) AS message
FROM events s
CROSS JOIN events c ON c.irp = s.irp AND +c.kind = 'IrpCompletionRequested' AND c.seq > s.seq
WHERE s.kind = 'CancelRoutineSet' AND json_extract(s.detail, '$.routine') IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM events k WHERE k.irp = s.irp AND k.seq > s.seq AND k.seq < c.seq
                    AND (+k.kind = 'CancelRoutineSet' OR (+k.kind = 'IrpCancelled' AND k.result = 1)))
