-- id: SyncBuildInArbitraryContext
-- title: IoBuildSynchronousFsdRequest or IoBuildDeviceIoControlRequest in an arbitrary thread context or above APC_LEVEL
-- severity: error
-- checks: "IoBuildSynchronousFsdRequest must be called at IRQL <= APC_LEVEL", and the IRP is queued to the current thread, so it is only for a driver-created thread or an inherently synchronous request (never from a DPC, ISR, completion or StartIo routine); for reads and writes, "IoBuildSynchronousFsdRequest can be called only ... by a driver-created thread ... [or] in the system thread context during initialization or while unloading".
-- source: k:creating-irps-for-lower-level-drivers; ddi:nf-wdm-iobuildsynchronousfsdrequest; SDV:IrqlIoPassive1
--
-- A read or write built by a dispatch routine is allowed only to the driver the I/O manager sent
-- the request to (the highest-level driver, in the requester's own thread); an intermediate
-- driver's dispatch routine runs in an arbitrary thread context.
-- seq: the IrpAllocated; seq2: the calling routine's RoutineEntered.
SELECT a.seq AS seq, a.activation AS seq2,
       printf('%s (%s) called %s%s at IRQL %d%s', coalesce(a.routine, 'kernel code'), coalesce(r.kind, 'no routine'), a.api,
              CASE WHEN a.major IN ('IRP_MJ_READ', 'IRP_MJ_WRITE') THEN ' for ' || a.major ELSE '' END, a.irql,
              CASE WHEN a.irql <= 1 AND r.kind = 'Dispatch' THEN ' in an arbitrary thread context (an intermediate driver''s dispatch routine): only a driver-created thread may build synchronous reads and writes' ELSE '' END) AS message
FROM events a
LEFT JOIN routine_runs r ON r.activation = a.activation
WHERE a.kind = 'IrpAllocated' AND a.api IN ('IoBuildSynchronousFsdRequest', 'IoBuildDeviceIoControlRequest')
  AND (a.irql > 1 OR r.kind IN ('Dpc', 'ThreadedDpc', 'Isr', 'Completion', 'Cancel', 'StartIo')
       OR (a.api = 'IoBuildSynchronousFsdRequest' AND a.major IN ('IRP_MJ_READ', 'IRP_MJ_WRITE') AND r.kind = 'Dispatch'
           AND NOT EXISTS (SELECT 1 FROM events q WHERE q.kind = 'RequestIssued' AND q.irp = r.irp AND q.device = r.device)))
