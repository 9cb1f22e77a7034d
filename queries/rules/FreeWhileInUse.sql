-- id: FreeWhileInUse
-- title: IoFreeIrp on an IRP that is still dispatched below, or still has a cancel routine
-- severity: fatal
-- checks: "IoFreeIrp releases an IRP that was allocated by the caller"; the IRP must be back with its allocator: no lower driver may still own it and no cancel routine may be set.
-- source: C9:0x20A; C9:0x20B; ROS:irp.c#IoFreeIrp; ddi:nf-wdm-iofreeirp
--
-- seq: the IrpFreed; seq2: the IRP's allocation.
SELECT f.seq AS seq, l.allocated_seq AS seq2,
       printf('%s freed IRP %d while %s', coalesce(f.routine, 'kernel code'), l.irp,
              CASE WHEN f.loc < l.stack_count THEN printf('a lower driver still owned it (stack location %d of %d)', f.loc, l.stack_count)
                   ELSE 'its cancel routine was still set' END) AS message
FROM irp_lifetimes l
JOIN events f ON f.seq = l.freed_seq
WHERE l.freed_by = 'IoFreeIrp'
  AND (f.loc < l.stack_count
       OR l.cancel_routine_sets > 0 AND (SELECT json_extract(s.detail, '$.routine') FROM events s WHERE s.irp = l.irp AND s.kind = 'CancelRoutineSet' AND s.seq < f.seq ORDER BY s.seq DESC LIMIT 1) IS NOT NULL)
