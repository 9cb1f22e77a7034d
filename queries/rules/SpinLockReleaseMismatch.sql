-- id: SpinLockReleaseMismatch
-- title: KeReleaseSpinLock below DISPATCH_LEVEL or with a NewIrql other than the acquire's OldIrql
-- severity: fatal
-- checks: "Callers of KeReleaseSpinLock must be running at IRQL = DISPATCH_LEVEL", restoring "the IRQL value that was saved when the spin lock was acquired."
-- source: SDV:IrqlKeReleaseSpinLock; C4:0x32; ddi:nf-wdm-kereleasespinlock
--
-- KeReleaseSpinLock releases (SpinLockReleased), then lowers (the next event on that processor);
-- KeReleaseSpinLockForDpc likewise, against KeAcquireSpinLockForDpc, when that acquire raised.
-- seq: the IrqlLowered of the release (or the bug check); seq2: the IrqlRaised of the matching KeAcquireSpinLock.
SELECT l.seq AS seq, a.seq AS seq2,
       printf('%s released spin lock %s %s', coalesce(l.routine, 'kernel code'), l.lock,
              CASE WHEN l.irql <> 2 THEN printf('at IRQL %d, not DISPATCH_LEVEL', l.irql)
                   ELSE printf('restoring IRQL %d; %s had saved %d', l.new_irql, replace(rel.api, 'Release', 'Acquire'), a.irql) END) AS message
FROM events rel
JOIN events l ON l.seq = (SELECT min(x.seq) FROM events x WHERE x.cpu = rel.cpu AND x.seq > rel.seq)
LEFT JOIN events a ON a.seq = (SELECT max(x.seq) FROM events x WHERE x.cpu = rel.cpu AND x.seq < rel.seq AND +x.kind = 'IrqlRaised' AND x.api = replace(rel.api, 'Release', 'Acquire') AND x.lock = rel.lock)
WHERE rel.kind = 'SpinLockReleased' AND rel.api IN ('KeReleaseSpinLock', 'KeReleaseSpinLockForDpc')
  AND l.kind = 'IrqlLowered' AND l.api = rel.api AND (l.irql <> 2 OR l.new_irql <> a.irql)
UNION ALL
SELECT b.seq, NULL, printf('%s called %s with NewIrql %s at IRQL %s, which would raise it', coalesce(b.routine, 'kernel code'),
                           json_extract(b.detail, '$.api'), json_extract(b.detail, '$.requested'), json_extract(b.detail, '$.current'))
FROM events b
WHERE b.kind = 'Bugcheck' AND b.api = 'IRQL_NOT_LESS_OR_EQUAL' AND json_extract(b.detail, '$.api') IN ('KeReleaseSpinLock', 'KeReleaseSpinLockForDpc')
