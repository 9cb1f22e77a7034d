-- id: ForwardedAtBadIrql
-- title: IoCallDriver above DISPATCH_LEVEL
-- severity: fatal
-- checks: "Callers of IoCallDriver must be running at IRQL <= DISPATCH_LEVEL."
-- source: ddi:nf-wdm-iofcalldriver; SDV:ForwardedAtBadIrql; C9:0x10
--
-- seq: the IrpCalled; seq2: the calling routine's RoutineEntered.
SELECT c.seq AS seq, c.activation AS seq2,
       printf('%s called IoCallDriver(%s, IRP %d) at IRQL %d, above DISPATCH_LEVEL', coalesce(c.routine, 'kernel code'), c.device, c.irp, c.irql) AS message
FROM events c
WHERE c.kind = 'IrpCalled' AND c.irql > 2
