-- id: SyncBuildInArbitraryContext
-- title: IoBuildSynchronousFsdRequest or IoBuildDeviceIoControlRequest in an arbitrary thread context or above APC_LEVEL
-- severity: error
-- checks: "IoBuildSynchronousFsdRequest must be called at IRQL <= APC_LEVEL", and the IRP is queued to the current thread, so it is only for a driver-created thread or an inherently synchronous request (never from a DPC, ISR, completion or StartIo routine).
-- source: k:creating-irps-for-lower-level-drivers; ddi:nf-wdm-iobuildsynchronousfsdrequest; SDV:IrqlIoPassive1
--
-- seq: the IrpAllocated; seq2: the calling routine's RoutineEntered.
SELECT a.seq AS seq, a.activation AS seq2,
       printf('%s (%s) called %s at IRQL %d', coalesce(a.routine, 'kernel code'), coalesce(r.kind, 'no routine'), a.api, a.irql) AS message
FROM events a
LEFT JOIN routine_runs r ON r.activation = a.activation
WHERE a.kind = 'IrpAllocated' AND a.api IN ('IoBuildSynchronousFsdRequest', 'IoBuildDeviceIoControlRequest')
  AND (a.irql > 1 OR r.kind IN ('Dpc', 'Isr', 'Completion', 'Cancel', 'StartIo'))
