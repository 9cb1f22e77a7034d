-- id: DpcTooLong
-- title: DPC routine ran longer than 100 microseconds
-- severity: warning
-- checks: "Microsoft recommends that DPCs should not run longer than 100 microseconds and ISRs should not run longer than 25 microseconds."
-- source: devtest/example-15--measuring-dpc-isr-time; k:guidelines-for-writing-dpc-routines; bug check 0x133 DPC_WATCHDOG_VIOLATION
--
-- seq: the DPC routine's RoutineEntered; seq2: its RoutineReturned; seq3: the DpcQueued that led to it.
SELECT r.entry_seq AS seq, r.return_seq AS seq2,
       (SELECT max(q.seq) FROM events q WHERE q.kind = 'DpcQueued' AND q.seq < r.entry_seq AND q.result = 1 AND q.dpc = r.dpc) AS seq3,
       printf('%s ran %.1f µs (guidance: at most 100 µs)', r.routine, r.duration_ns / 1000.0) AS message
FROM routine_runs r
WHERE r.kind = 'Dpc' AND r.duration_ns > 100000
