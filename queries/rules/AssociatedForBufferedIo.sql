-- id: AssociatedForBufferedIo
-- title: Associated IRP made for a master IRP that requests buffered I/O
-- severity: fatal
-- checks: "Highest-level drivers must not allocate associated IRPs for any IRP that requests a buffered I/O operation." (AssociatedIrp.SystemBuffer shares its union with IrpCount)
-- source: k:creating-irps-for-lower-level-drivers; ddi:ns-wdm-_irp
--
-- seq: the IrpAllocated (IoMakeAssociatedIrp); seq2: the master's allocation.
SELECT a.seq AS seq, m.allocated_seq AS seq2,
       printf('%s made associated IRP %d for IRP %d, a buffered I/O request (flags 0x%x include IRP_BUFFERED_IO)',
              coalesce(a.routine, 'kernel code'), a.irp, a.master, m.flags) AS message
FROM irp_lifetimes l
CROSS JOIN events a ON a.seq = l.allocated_seq
JOIN irp_lifetimes m ON m.irp = a.master
WHERE l.api = 'IoMakeAssociatedIrp' AND (m.flags & 0x10) <> 0
