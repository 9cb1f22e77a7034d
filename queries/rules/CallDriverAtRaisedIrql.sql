-- id: CallDriverAtRaisedIrql
-- title: IoCallDriver at an IRQL other than the dispatch routine's entry IRQL
-- severity: error
-- checks: "If a dispatch routine raises IRQL, it must lower it before calling IoCallDriver."
-- source: ifs:constraints-on-dispatch-routines; SDV:IrqlReturn
--
-- seq: the IrpCalled; seq2: the dispatch routine's RoutineEntered.
-- The calling routine is its RoutineEntered event (api: the routine's kind, irql: its entry IRQL),
-- read by seq: no view needed.
SELECT c.seq AS seq, r.seq AS seq2,
       printf('%s called IoCallDriver(%s, IRP %d) at IRQL %d; it was entered at IRQL %d', r.routine, c.device, c.irp, c.irql, r.irql) AS message
FROM events c
CROSS JOIN events r ON r.seq = c.activation
WHERE c.kind = 'IrpCalled' AND r.kind = 'RoutineEntered' AND r.api = 'Dispatch' AND c.irql <> r.irql
