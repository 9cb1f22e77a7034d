-- id: StackLocationOutsideIrp
-- title: A stack location the IRP does not have, read or written
-- severity: fatal
-- checks: "The dispatch routine must call IoSetNextIrpStackLocation before it calls IoGetCurrentIrpStackLocation to set up context in its own I/O stack location"; "the IoCompletion routine has no local context storage for itself in the IRP" (its creator has no location of its own: the pointer is past the end of the IRP, and writing through it corrupts pool).
-- source: k:creating-irps-for-lower-level-drivers; ddi:nf-wdm-iosetnextirpstacklocation; ROS:irp.c#IoInitializeIrp
--
-- seq: the IrpAccessed; seq2: the calling routine's RoutineEntered.
SELECT x.seq AS seq, x.activation AS seq2,
       printf('%s used the stack location %s returned for IRP %d at location %d of %d: %s of the IRP (%s)',
              coalesce(x.routine, 'kernel code'), x.api, x.irp, x.loc, l.stack_count,
              CASE json_extract(x.detail, '$.location') WHEN 'past the end' THEN 'past the end' ELSE 'before the start' END,
              CASE WHEN x.loc > l.stack_count THEN 'the caller has no location of its own: IoSetNextIrpStackLocation first, or keep context elsewhere'
                   ELSE 'the lowest driver has no next location' END) AS message
FROM events x
LEFT JOIN irp_lifetimes l ON l.irp = x.irp
WHERE x.kind = 'IrpAccessed' AND x.detail IS NOT NULL
