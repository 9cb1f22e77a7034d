-- id: CallDriverWithCancelRoutine
-- title: IRP passed down while its cancel routine is still set
-- severity: fatal
-- checks: "A driver must clear the IRP's cancel routine before it passes the IRP to a lower driver." (Driver Verifier: IRP passed to IoCallDriver with a cancel routine set)
-- source: C9:0x203; C9:0x205
--
-- seq: the IrpCalled; seq2: the IoSetCancelRoutine that set it.
SELECT c.seq AS seq, s.seq AS seq2,
       printf('%s passed IRP %d to %s with its cancel routine %s still set', coalesce(c.routine, 'kernel code'), c.irp, c.device, json_extract(s.detail, '$.routine')) AS message
FROM events s
CROSS JOIN events c ON c.irp = s.irp AND +c.kind = 'IrpCalled' AND c.seq > s.seq
WHERE s.kind = 'CancelRoutineSet' AND json_extract(s.detail, '$.routine') IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM events k WHERE k.irp = s.irp AND k.seq > s.seq AND k.seq < c.seq
                    AND (+k.kind = 'CancelRoutineSet' OR (+k.kind = 'IrpCancelled' AND k.result = 1)))
