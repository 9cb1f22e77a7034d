-- id: CancelAfterComplete
-- title: IoCancelIrp found a cancel routine on an IRP that was already completed
-- severity: fatal
-- checks: "The driver must clear the cancel routine before completing the IRP" (IoCancelIrp on a completed IRP that still has one is bug check 0x48 CANCEL_STATE_IN_COMPLETED_IRP).
-- source: bug check 0x48; ROS:irp.c#IoCancelIrp; ddi:nf-wdm-iosetcancelroutine
--
-- seq: the bug check; seq2: the IRP's IrpCompleted.
SELECT b.seq AS seq,
       (SELECT max(x.seq) FROM events x WHERE x.irp = json_extract(b.detail, '$.irp') AND x.kind = 'IrpCompleted' AND x.seq < b.seq) AS seq2,
       printf('%s cancelled IRP %s after it was completed, with cancel routine %s still set', coalesce(b.routine, 'kernel code'),
              json_extract(b.detail, '$.irp'), json_extract(b.detail, '$.routine')) AS message
FROM events b
WHERE b.kind = 'Bugcheck' AND b.api = 'CANCEL_STATE_IN_COMPLETED_IRP'
