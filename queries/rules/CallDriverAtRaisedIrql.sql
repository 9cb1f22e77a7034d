-- id: CallDriverAtRaisedIrql
-- title: IoCallDriver at an IRQL other than the dispatch routine's entry IRQL
-- severity: error
-- checks: "If a dispatch routine raises IRQL, it must lower it before calling IoCallDriver."
-- source: ifs:constraints-on-dispatch-routines; SDV:IrqlReturn
--
-- seq: the IrpCalled; seq2: the dispatch routine's RoutineEntered.
SELECT c.seq AS seq, r.entry_seq AS seq2,
       printf('%s called IoCallDriver(%s, IRP %d) at IRQL %d; it was entered at IRQL %d', r.routine, c.device, c.irp, c.irql, r.entry_irql) AS message
FROM events c
CROSS JOIN routine_runs r ON r.activation = c.activation
WHERE c.kind = 'IrpCalled' AND +r.kind = 'Dispatch' AND c.irql <> r.entry_irql
