-- id: MarkPendingWithoutOwnLocation
-- title: IoMarkIrpPending on an IRP in which the caller has no stack location
-- severity: fatal
-- checks: "A driver that creates an IRP must not call IoMarkIrpPending in its IoCompletion routine for it" (the creator has no stack location of its own: marking it writes outside the IRP).
-- source: ddi:nf-wdm-iomarkirppending
--
-- seq: the IrpMarkedPending; seq2: the calling routine's RoutineEntered.
SELECT m.seq AS seq, m.activation AS seq2,
       printf('%s called IoMarkIrpPending on IRP %d at location %d of %d: it has no location of its own there (it allocated the IRP)',
              coalesce(m.routine, 'kernel code'), m.irp, m.loc, l.stack_count) AS message
FROM events m
JOIN irp_lifetimes l ON l.irp = m.irp
WHERE m.kind = 'IrpMarkedPending' AND m.api = 'IoMarkIrpPending' AND m.loc > l.stack_count
