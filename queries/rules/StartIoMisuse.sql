-- id: StartIoMisuse
-- title: IoStartNextPacket called below DISPATCH_LEVEL or from the StartIo routine itself
-- severity: error
-- checks: "Callers of IoStartNextPacket must be running at IRQL = DISPATCH_LEVEL" (and a StartIo routine that starts the next packet recurses unless the driver uses IoSetStartIoAttributes DeferredStartIo).
-- source: SDV:IrqlDispatch; SDV:StartIoRecursion; ddi:nf-wdm-iostartnextpacket
--
-- seq: the IrpDequeued (the next packet started); seq2: the calling routine's RoutineEntered.
SELECT d.seq AS seq, d.activation AS seq2,
       CASE WHEN r.kind = 'StartIo' THEN printf('%s (the StartIo routine) started the next packet, IRP %d: StartIo recursion', r.routine, d.irp)
            ELSE printf('%s started the next packet, IRP %d, at IRQL %d instead of DISPATCH_LEVEL', coalesce(d.routine, 'kernel code'), d.irp, d.irql) END AS message
FROM events d
LEFT JOIN routine_runs r ON r.activation = d.activation
WHERE d.kind = 'IrpDequeued' AND (d.irql <> 2 OR r.kind = 'StartIo')
