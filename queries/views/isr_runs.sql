-- isr_runs: one row per interrupt service routine invocation.
--   activation, routine, driver, cpu
--   device          the device whose DPC it requested (the trace's ISR events name no device)
--   entry_seq, entry_time_ns, return_seq, return_time_ns, duration_ns
--   irql            the IRQL it ran at (the interrupt's SynchronizeIrql)
--   interrupted_irql, interrupted_activation   what the processor was doing when the interrupt arrived
--   interrupt_lock  the interrupt spin lock held around it
--   claimed         what it returned: 1 TRUE (its device interrupted), 0 FALSE
--   dpc_requests    IoRequestDpc/KeInsertQueueDpc calls it made
SELECT r.activation, r.routine, r.driver, r.cpu,
       coalesce(r.device, (SELECT d.device FROM events d WHERE d.activation = r.activation AND d.kind = 'DpcQueued' ORDER BY d.seq LIMIT 1)) AS device,
       r.entry_seq, r.entry_time_ns, r.return_seq, r.return_time_ns, r.duration_ns,
       r.entry_irql AS irql,
       i.irql AS interrupted_irql, i.activation AS interrupted_activation, l.lock AS interrupt_lock,
       r.status AS claimed,
       (SELECT count(*) FROM events d WHERE d.activation = r.activation AND d.kind = 'DpcQueued') AS dpc_requests
FROM routine_runs r
LEFT JOIN events l ON l.seq = r.entry_seq - 1 AND l.kind = 'SpinLockAcquired'
LEFT JOIN events i ON i.seq = r.entry_seq - 2 AND i.kind = 'IrqlRaised' AND i.api = 'Interrupt'
WHERE r.kind = 'Isr'
