-- id: CompletionRoutineWithoutNextLocation
-- title: IoSetCompletionRoutine with no lower stack location
-- severity: fatal
-- checks: "IoSetCompletionRoutine registers the routine in the next-lower driver's I/O stack location" (a lowest driver, or an IRP created without a spare location, has none).
-- source: ddi:nf-wdm-iosetcompletionroutine; ddi:nf-wdm-iosetnextirpstacklocation
--
-- seq: the CompletionRoutineSet; seq2: the calling routine's RoutineEntered.
SELECT c.seq AS seq, c.activation AS seq2,
       printf('%s set completion routine %s on IRP %d at location %s: there is no such location', coalesce(c.routine, 'kernel code'),
              json_extract(c.detail, '$.routine'), c.irp, json_extract(c.detail, '$.at')) AS message
FROM events c
WHERE c.kind = 'CompletionRoutineSet' AND json_extract(c.detail, '$.at') < 1
