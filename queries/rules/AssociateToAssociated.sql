-- id: AssociateToAssociated
-- title: Associated IRP made for an IRP that is itself an associated IRP
-- severity: fatal
-- checks: "A driver cannot associate another IRP with such an IRP." (an IRP that is already an associated IRP)
-- source: k:creating-irps-for-lower-level-drivers
--
-- seq: the IrpAllocated; seq2: the master's own allocation by IoMakeAssociatedIrp.
SELECT a.seq AS seq, m.allocated_seq AS seq2,
       printf('%s made IRP %d an associated IRP of IRP %d, which is itself associated with IRP %d',
              coalesce(a.routine, 'kernel code'), a.irp, a.master, m.master) AS message
FROM irp_lifetimes l
CROSS JOIN events a ON a.seq = l.allocated_seq
JOIN irp_lifetimes m ON m.irp = a.master
WHERE l.api = 'IoMakeAssociatedIrp' AND m.api = 'IoMakeAssociatedIrp'
