-- id: CompleteWithPendingStatus
-- title: IoCompleteRequest with STATUS_PENDING (or an unset status) in IoStatus.Status
-- severity: fatal
-- checks: "A driver must never complete an IRP with STATUS_PENDING." (Driver Verifier: IRP completed with a status of STATUS_PENDING or an uninitialised status)
-- source: C9:0x06; ifs:constraints-on-dispatch-routines; SDV:CompleteRequestStatusCheck
--
-- seq: the IrpCompletionRequested; seq2: the calling routine's RoutineEntered.
SELECT c.seq AS seq, c.activation AS seq2,
       printf('%s completed IRP %d with IoStatus.Status %s', coalesce(c.routine, 'kernel code'), c.irp,
              CASE c.status WHEN 0x103 THEN 'STATUS_PENDING' ELSE '0xFFFFFFFF (never set)' END) AS message
FROM events c
WHERE c.kind = 'IrpCompletionRequested' AND c.status IN (0x103, 0xFFFFFFFF)
