-- id: OriginalCompletedBeforeChildFreed
-- title: Original IRP completed before the IRP the driver allocated for it was freed
-- severity: warning
-- checks: "A driver's IoCompletion routine should free all driver-allocated IRPs with IoFreeIrp before it calls IoCompleteRequest for the original IRP."
-- source: k:creating-irps-for-lower-level-drivers; k:implementing-an-iocompletion-routine
--
-- seq: IoCompleteRequest(original); seq2: the driver-allocated IRP's allocation; seq3: its IoFreeIrp (NULL: never freed).
SELECT c.seq AS seq, child.allocated_seq AS seq2, child.freed_seq AS seq3,
       printf('%s completed IRP %d while IRP %d, which %s allocated for it with %s, was still allocated (%s)',
              coalesce(c.routine, 'the I/O manager'), c.irp, child.irp, child.allocated_by_routine, child.api,
              CASE WHEN child.freed_seq IS NULL THEN 'never freed' ELSE 'freed at seq ' || child.freed_seq END) AS message
FROM irp_lifetimes child
CROSS JOIN events c ON c.irp = child.parent_irp AND +c.kind = 'IrpCompletionRequested'
WHERE child.api IN ('IoAllocateIrp', 'IoBuildAsynchronousFsdRequest')
  AND c.seq > child.allocated_seq
  AND (child.freed_seq IS NULL OR child.freed_seq > c.seq)
