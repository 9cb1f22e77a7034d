-- id: AssociatedFromNonHighestDriver
-- title: IoMakeAssociatedIrp called by a driver that is not the highest-level driver of the IRP
-- severity: error
-- checks: "Only a highest-level driver can call IoMakeAssociatedIrp." ("Any IRP an intermediate driver receives might already be an associated IRP, and a driver cannot associate another IRP with such an IRP.")
-- source: ddi:nf-ntddk-iomakeassociatedirp; k:creating-irps-for-lower-level-drivers
--
-- seq: the IrpAllocated (IoMakeAssociatedIrp); seq2: the calling routine's RoutineEntered.
SELECT a.seq AS seq, r.entry_seq AS seq2,
       printf('%s (driver %s) made associated IRP %d for IRP %d, which it received from a higher driver (at stack location %d of %d)',
              r.routine, r.driver, a.irp, a.master, r.entry_loc, m.stack_count) AS message
FROM events a
JOIN routine_runs r ON r.activation = a.activation
JOIN irp_lifetimes m ON m.irp = a.master
WHERE a.kind = 'IrpAllocated' AND a.api = 'IoMakeAssociatedIrp'
  AND r.irp = a.master AND r.entry_loc < m.stack_count
