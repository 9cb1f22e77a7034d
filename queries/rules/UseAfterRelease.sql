-- id: UseAfterRelease
-- title: IRP used after its completion finished or after it was freed
-- severity: fatal
-- checks: "The IRP becomes inaccessible to the higher-level driver" once it is passed on; after IoCompleteRequest or IoFreeIrp the driver must not touch it.
-- source: ddi:nf-wdm-iofcalldriver; k:implementing-an-iocompletion-routine; ifs:constraints-on-dispatch-routines
--
-- seq: the access (IrpAccessed, or a bug check freeing it again); seq2: the IrpCompleted/IrpFreed that released it.
SELECT x.seq AS seq,
       (SELECT max(f.seq) FROM events f WHERE f.irp = x.irp AND +f.kind IN ('IrpCompleted', 'IrpFreed') AND f.seq < x.seq) AS seq2,
       printf('%s touched IRP %d (%s) after %s', coalesce(x.routine, 'kernel code'), x.irp, x.api,
              CASE WHEN EXISTS (SELECT 1 FROM events f WHERE f.irp = x.irp AND +f.kind = 'IrpFreed' AND f.seq < x.seq)
                   THEN 'it was freed' ELSE 'its completion finished' END) AS message
FROM events x
-- With a detail, the access went through a location the IRP does not have: StackLocationOutsideIrp.
WHERE x.kind = 'IrpAccessed' AND x.detail IS NULL
UNION ALL
SELECT b.seq, (SELECT max(f.seq) FROM events f WHERE f.irp = json_extract(b.detail, '$.irp') AND f.kind = 'IrpFreed'),
       printf('%s freed IRP %s a second time (bug check BAD_POOL_CALLER)', coalesce(b.routine, 'kernel code'), json_extract(b.detail, '$.irp'))
FROM events b
WHERE b.kind = 'Bugcheck' AND b.api = 'BAD_POOL_CALLER' AND json_extract(b.detail, '$.irp') IS NOT NULL
