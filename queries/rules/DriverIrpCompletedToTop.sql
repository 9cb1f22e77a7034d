-- id: DriverIrpCompletedToTop
-- title: Driver-allocated IRP completed to the top instead of being freed by its allocator
-- severity: fatal
-- checks: "The driver must not call IoCompleteRequest for an IRP that it allocated with IoAllocateIrp: its IoCompletion routine must free it and return STATUS_MORE_PROCESSING_REQUIRED."
-- source: SDV:IoAllocateComplete; SDV:IoBuildFsdComplete; ddi:nf-wdm-ioallocateirp
--
-- seq: the IrpCompleted (the walk reached the top); seq2: the IRP's allocation.
SELECT l.completed_seq AS seq, l.allocated_seq AS seq2,
       printf('IRP %d, allocated by %s with %s, was completed to the top (no completion routine returned STATUS_MORE_PROCESSING_REQUIRED)',
              l.irp, l.allocated_by_routine, l.api) AS message
FROM irp_lifetimes l
WHERE l.api IN ('IoAllocateIrp', 'IoBuildAsynchronousFsdRequest') AND l.completed_seq IS NOT NULL
