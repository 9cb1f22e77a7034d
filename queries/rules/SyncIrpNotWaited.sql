-- id: SyncIrpNotWaited
-- title: IoCallDriver returned STATUS_PENDING for a synchronous IRP and the caller returned without waiting on its event
-- severity: fatal
-- checks: "If IoCallDriver returns STATUS_PENDING, the caller must call KeWaitForSingleObject on the event it supplied to IoBuildSynchronousFsdRequest."
-- source: SDV:IoBuildSynchronousFsdRequestWait; SDV:IoBuildDeviceControlWait; C9:0x0C; C9:0x0D
--
-- seq: the caller's RoutineReturned; seq2: the IrpCallReturned (STATUS_PENDING).
SELECT r.seq AS seq, c.seq AS seq2,
       printf('%s got STATUS_PENDING for IRP %d (%s) and returned without waiting on its event', r.routine, c.irp, l.api) AS message
FROM irp_lifetimes l
CROSS JOIN events c ON c.irp = l.irp AND +c.kind = 'IrpCallReturned'
-- the caller's return: the last event of its activation (routine_runs.return_seq, without building routine_runs)
JOIN events r ON r.seq = (SELECT max(x.seq) FROM events x WHERE x.activation = c.activation) AND r.kind = 'RoutineReturned'
WHERE l.api IN ('IoBuildSynchronousFsdRequest', 'IoBuildDeviceIoControlRequest') AND c.status = 0x103
  AND NOT EXISTS (SELECT 1 FROM events w WHERE w.activation = c.activation AND w.kind = 'WaitEnded' AND w.seq > c.seq)
  AND NOT EXISTS (SELECT 1 FROM events w WHERE w.activation = c.activation AND w.kind = 'WaitStarted' AND w.seq > c.seq)
