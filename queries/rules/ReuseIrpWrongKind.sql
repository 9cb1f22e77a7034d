-- id: ReuseIrpWrongKind
-- title: IoReuseIrp on an IRP that was not allocated with IoAllocateIrp (an IoBuild… IRP, an associated IRP, the I/O manager's)
-- severity: error
-- checks: "A driver should use IoReuseIrp only on IRPs it previously allocated either as raw memory or with IoAllocateIrp. In particular, drivers should not use this routine for IRPs created with IoMakeAssociatedIrp, IoBuildSynchronousFsdRequest, IoBuildAsynchronousFsdRequest, or IoBuildDeviceIoControlRequest."; "Drivers must not attempt to reuse IRPs issued by the I/O manager."
-- source: ddi:nf-wdm-ioreuseirp; k:reusing-irps; SDV:IoReuseIrp
--
-- seq: the IrpReused; seq2: the IRP's allocation.
SELECT r.seq AS seq, a.seq AS seq2,
       printf('%s reused IRP %d (IoReuseIrp), which %s: only an IRP the driver allocated with IoAllocateIrp may be reused',
              coalesce(r.routine, 'kernel code'), r.irp,
              CASE WHEN a.api = 'IoManager' THEN 'the I/O manager issued' ELSE printf('was created by %s', a.api) END) AS message
FROM events r
JOIN events a ON a.irp = r.irp AND +a.kind = 'IrpAllocated'
WHERE r.kind = 'IrpReused' AND a.api <> 'IoAllocateIrp'
