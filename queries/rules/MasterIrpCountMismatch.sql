-- id: MasterIrpCountMismatch
-- title: The master's IrpCount differs from the number of associated IRPs made for it
-- severity: error
-- checks: "The caller sets the master's AssociatedIrp.IrpCount to the number of associated IRPs" (too low completes the master early; too high never completes it).
-- source: Windows-driver-samples filesys/fastfat/deviosup.c#FatMultipleAsync; ROS:irp.c#IoMakeAssociatedIrp; ddi:nf-ntddk-iomakeassociatedirp
--
-- seq: the last MasterIrpCountChanged (Set) for the master; seq2: the master's allocation.
SELECT s.seq AS seq, l.allocated_seq AS seq2,
       printf('%s set the IrpCount of IRP %d to %d, but %d associated IRP(s) were made for it', coalesce(s.routine, 'kernel code'), s.irp, s.result, n.count) AS message
FROM (SELECT master, count(*) AS count FROM irp_lifetimes WHERE api = 'IoMakeAssociatedIrp' GROUP BY master) n
JOIN events s ON s.seq = (SELECT max(x.seq) FROM events x WHERE x.irp = n.master AND x.kind = 'MasterIrpCountChanged' AND x.api = 'Set')
JOIN irp_lifetimes l ON l.irp = n.master
WHERE s.result <> n.count
