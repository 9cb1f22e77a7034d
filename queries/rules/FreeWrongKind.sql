-- id: FreeWrongKind
-- title: IoFreeIrp on an IRP the I/O manager owns (IoBuildSynchronousFsdRequest, IoBuildDeviceIoControlRequest, a requester's IRP)
-- severity: fatal
-- checks: "IRPs created using IoBuildSynchronousFsdRequest must be completed by calling IoCompleteRequest and not by calling IoFreeIrp" (the I/O manager frees them: they are queued to the thread).
-- source: SDV:IoBuildSynchronousFsdRequestNoFree; SDV:IoBuildDeviceControlNoFree; C9:0x02; C9:0x20C
--
-- seq: the IrpFreed; seq2: the IRP's allocation.
SELECT l.freed_seq AS seq, l.allocated_seq AS seq2,
       printf('%s called IoFreeIrp on IRP %d, created by %s: the I/O manager frees it', coalesce(f.routine, 'kernel code'), l.irp, l.api) AS message
FROM irp_lifetimes l
JOIN events f ON f.seq = l.freed_seq
WHERE l.freed_by = 'IoFreeIrp' AND l.api IN ('IoBuildSynchronousFsdRequest', 'IoBuildDeviceIoControlRequest', 'IoManager')
