-- id: PendingIrpLeak
-- title: IRP marked pending (or pending returned for it) never completed by the end of the run
-- severity: error
-- checks: "The driver must complete every IRP it pends" (Driver Verifier's I/O verification reports IRPs that take too long to complete or cancel; unloading with them outstanding is bug check 0xCE).
-- source: devtest/i-o-verification; C4:0x135; bug check 0xCE
--
-- Only on a trace whose run finished (completed or stalled): a cut trace cannot say "never".
-- seq: the first time the IRP was marked pending (or STATUS_PENDING returned for it); seq2: SessionEnded.
SELECT coalesce(l.pending_seq, p.seq) AS seq, e.seq AS seq2,
       printf('IRP %d (%s%s) was left pending: it was never completed before the run ended (%s)',
              l.irp, l.api, coalesce(', ' || l.major, ''), e.api) AS message
FROM irp_lifetimes l
JOIN events e ON e.kind = 'SessionEnded' AND e.api IN ('completed', 'stalled')
LEFT JOIN events p ON p.seq = (SELECT min(x.seq) FROM events x WHERE x.irp = l.irp AND x.kind IN ('IrpCallReturned', 'IrpCancelled')
                                 AND (x.status = 0x103 OR x.kind = 'IrpCancelled'))
WHERE l.completed_seq IS NULL AND l.freed_seq IS NULL
  AND (l.pending_seq IS NOT NULL OR p.seq IS NOT NULL)
