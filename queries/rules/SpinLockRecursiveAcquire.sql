-- id: SpinLockRecursiveAcquire
-- title: Spin lock acquired again by the processor that holds it, or released without being held
-- severity: fatal
-- checks: "Acquiring a spin lock that the processor already holds deadlocks; releasing one it does not hold corrupts the lock." (SpinLock: KeAcquireSpinLock and KeReleaseSpinLock alternate)
-- source: SDV:SpinlockRelease; SDV:SpinLock
--
-- seq: the bug check; seq2: the acquire of the lock still held on that processor (recursive acquire).
SELECT b.seq AS seq,
       (SELECT max(a.seq) FROM events a WHERE a.cpu = b.cpu AND a.seq < b.seq AND a.kind = 'SpinLockAcquired' AND a.lock = json_extract(b.detail, '$.lock')) AS seq2,
       CASE b.api WHEN 'SPIN_LOCK_ALREADY_OWNED'
            THEN printf('%s acquired spin lock %s, which this processor already holds', coalesce(b.routine, 'kernel code'), json_extract(b.detail, '$.lock'))
            ELSE printf('%s released spin lock %s, which this processor does not hold', coalesce(b.routine, 'kernel code'), json_extract(b.detail, '$.lock')) END AS message
FROM events b
WHERE b.kind = 'Bugcheck' AND b.api IN ('SPIN_LOCK_ALREADY_OWNED', 'SPIN_LOCK_NOT_OWNED')
