-- id: CallDriverWithCancelRoutine
-- title: IRP passed down while its cancel routine is still set
-- severity: fatal
-- checks: "A driver must clear the IRP's cancel routine before it passes the IRP to a lower driver." (Driver Verifier: IRP passed to IoCallDriver with a cancel routine set)
-- source: C9:0x203; C9:0x205
--
-- seq: the IrpCalled; seq2: the IoSetCancelRoutine that set it.
SELECT c.seq AS seq, s.seq AS seq2,
       printf('%s passed IRP %d to %s with its cancel routine %s still set', coalesce(c.routine, 'kernel code'), c.irp, c.device, json_extract(s.detail, '$.routine')) AS message
FROM events c
JOIN events s ON s.seq = (SELECT max(x.seq) FROM events x WHERE x.irp = c.irp AND x.kind = 'CancelRoutineSet' AND x.seq < c.seq)
WHERE c.kind = 'IrpCalled' AND json_extract(s.detail, '$.routine') IS NOT NULL
