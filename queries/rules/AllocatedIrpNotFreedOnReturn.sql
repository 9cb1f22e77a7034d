-- id: AllocatedIrpNotFreedOnReturn
-- title: Routine completed the original IRP and returned before freeing the IRPs allocated for it
-- severity: error
-- checks: "When it completes the original IRP, the IoCompletion routine must free all driver-allocated IRPs before it returns control."
-- source: k:creating-irps-for-lower-level-drivers
--
-- seq: the RoutineReturned of the routine that completed the original; seq2: IoCompleteRequest(original);
-- seq3: the driver-allocated IRP's allocation.
SELECT r.seq AS seq, c.seq AS seq2, child.allocated_seq AS seq3,
       printf('%s completed IRP %d and returned while IRP %d (allocated for it by %s with %s) was %s',
              r.routine, c.irp, child.irp, child.allocated_by_routine, child.api,
              CASE WHEN child.freed_seq IS NULL THEN 'never freed' ELSE 'freed only later, at seq ' || child.freed_seq END) AS message
FROM irp_lifetimes child
CROSS JOIN events c ON c.irp = child.parent_irp AND +c.kind = 'IrpCompletionRequested'
-- the routine's return: the last event of its activation (routine_runs.return_seq, without building routine_runs)
JOIN events r ON r.seq = (SELECT max(x.seq) FROM events x WHERE x.activation = c.activation) AND r.kind = 'RoutineReturned'
WHERE child.api IN ('IoAllocateIrp', 'IoBuildAsynchronousFsdRequest')
  AND child.allocated_seq < c.seq
  AND (child.freed_seq IS NULL OR child.freed_seq > r.seq)
