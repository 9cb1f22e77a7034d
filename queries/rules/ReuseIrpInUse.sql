-- id: ReuseIrpInUse
-- title: IoReuseIrp on an IRP a lower driver still owns (sent with IoCallDriver and not given back)
-- severity: fatal
-- checks: An IRP sent down with IoCallDriver belongs to the drivers below until one of the sender's completion routines returns STATUS_MORE_PROCESSING_REQUIRED ("Reclaimed" → IoReuseIrp → "Allocated", windows-semantics.md §3.10); reinitialising it before then resets the CurrentLocation and the completion routines of a request still in progress.
-- source: k:reusing-irps; ddi:nf-wdm-iofcalldriver; ddi:nf-wdm-ioreuseirp
--
-- The IRP is back with the reusing driver when, since its last IrpCalled, a completion routine of
-- that driver ran for it and returned STATUS_MORE_PROCESSING_REQUIRED (the reuse may be inside that
-- routine, before it returns). A trace that ends inside the routine that reused it (cut by
-- --max-events, killed, or a bug check) does not say what it returned: no finding then.
-- seq: the IrpReused; seq2: the IrpCalled that sent it down.
SELECT r.seq AS seq, c.seq AS seq2,
       printf('%s reused IRP %d (IoReuseIrp) while %s still owned it: it was sent down at seq %d and no completion routine of %s has given it back (STATUS_MORE_PROCESSING_REQUIRED)',
              coalesce(r.routine, 'kernel code'), r.irp, c.device, c.seq, coalesce(r.driver, 'the caller')) AS message
FROM events r
JOIN events c ON c.seq = (SELECT max(x.seq) FROM events x WHERE x.irp = r.irp AND +x.kind = 'IrpCalled' AND x.seq < r.seq)
WHERE r.kind = 'IrpReused'
  AND NOT EXISTS (
    SELECT 1
    FROM events e
    LEFT JOIN events x ON x.activation = e.seq AND +x.kind = 'RoutineReturned'
    WHERE e.irp = r.irp AND +e.kind = 'RoutineEntered' AND e.api = 'Completion' AND e.seq > c.seq AND e.seq < r.seq
      AND e.driver IS r.driver AND (x.status = 0xC0000016 OR (x.seq IS NULL AND e.seq = r.activation)))
