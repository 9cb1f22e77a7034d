-- id: StackLocationOverrun
-- title: IoCallDriver with no stack location left for the target driver
-- severity: fatal
-- checks: "If the IRP has no more stack locations, IoCallDriver bug checks with NO_MORE_IRP_STACK_LOCATIONS." (the IRP was allocated with fewer locations than the target stack needs)
-- source: bug check 0x35; ROS:irp.c#IofCallDriver; C9:0x208
--
-- seq: the bug check; seq2: the IRP's allocation.
SELECT b.seq AS seq, (SELECT l.allocated_seq FROM irp_lifetimes l WHERE l.irp = json_extract(b.detail, '$.irp')) AS seq2,
       printf('%s called IoCallDriver(%s) with IRP %s, which has no stack location left (StackCount %s)', coalesce(b.routine, 'kernel code'),
              json_extract(b.detail, '$.device'), json_extract(b.detail, '$.irp'), json_extract(b.detail, '$.stackCount')) AS message
FROM events b
WHERE b.kind = 'Bugcheck' AND b.api = 'NO_MORE_IRP_STACK_LOCATIONS'
