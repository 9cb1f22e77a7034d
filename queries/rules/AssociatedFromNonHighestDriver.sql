-- id: AssociatedFromNonHighestDriver
-- title: IoMakeAssociatedIrp called by a driver that is not the highest-level driver of the IRP
-- severity: error
-- checks: "Only a highest-level driver can call IoMakeAssociatedIrp." ("Any IRP an intermediate driver receives might already be an associated IRP, and a driver cannot associate another IRP with such an IRP.")
-- source: ddi:nf-ntddk-iomakeassociatedirp; k:creating-irps-for-lower-level-drivers
--
-- The IRP came from another driver when the IoCallDriver that brought it to the routine ran in driver code
-- (the I/O manager's own IoCallDriver runs outside any driver routine).
-- seq: the IrpAllocated (IoMakeAssociatedIrp); seq2: the IoCallDriver (IrpCalled) of the driver above.
SELECT a.seq AS seq, c.seq AS seq2,
       printf('%s (driver %s) made associated IRP %d for IRP %d, which it received from %s (driver %s): it is not the highest-level driver',
              r.routine, r.driver, a.irp, a.master, c.routine, c.driver) AS message
FROM irp_lifetimes l
CROSS JOIN events a ON a.seq = l.allocated_seq
-- the routine that made it: its RoutineEntered (api = the routine's kind, irp = the IRP it was called for)
CROSS JOIN events r ON r.seq = a.activation
JOIN events c ON c.seq = (SELECT max(x.seq) FROM events x WHERE x.irp = r.irp AND x.kind = 'IrpCalled' AND x.seq < r.seq)
WHERE l.api = 'IoMakeAssociatedIrp'
  AND r.kind = 'RoutineEntered' AND r.api = 'Dispatch' AND r.irp = a.master AND c.activation IS NOT NULL
