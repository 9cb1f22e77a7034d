-- id: SkipThenSetCompletion
-- title: IoSetCompletionRoutine after IoSkipCurrentIrpStackLocation
-- severity: fatal
-- checks: "If your driver calls IoSkipCurrentIrpStackLocation, be careful not to modify the IO_STACK_LOCATION structure in a way that could unintentionally affect the lower driver or the system's behavior" (setting a completion routine then overwrites the one the driver above registered).
-- source: ddi:nf-wdm-ioskipcurrentirpstacklocation; C9:0x206; C9:0x207
--
-- seq: the CompletionRoutineSet; seq2: the IoSkipCurrentIrpStackLocation before it.
SELECT c.seq AS seq, s.seq AS seq2,
       printf('%s set completion routine %s on IRP %d after IoSkipCurrentIrpStackLocation: it overwrites the location of the driver above',
              coalesce(c.routine, 'kernel code'), json_extract(c.detail, '$.routine'), c.irp) AS message
FROM events c
JOIN events s ON s.seq = (SELECT max(x.seq) FROM events x WHERE x.irp = c.irp AND x.activation = c.activation AND x.kind = 'IrpStackLocationChanged' AND x.seq < c.seq)
WHERE c.kind = 'CompletionRoutineSet' AND s.api = 'IoSkipCurrentIrpStackLocation'
