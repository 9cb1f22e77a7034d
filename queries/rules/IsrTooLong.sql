-- id: IsrTooLong
-- title: Interrupt service routine ran longer than 25 microseconds
-- severity: warning
-- checks: "Microsoft recommends that DPCs should not run longer than 100 microseconds and ISRs should not run longer than 25 microseconds."
-- source: devtest/example-15--measuring-dpc-isr-time; k:writing-an-isr
--
-- seq: the ISR's RoutineEntered; seq2: its RoutineReturned.
SELECT r.entry_seq AS seq, r.return_seq AS seq2,
       printf('%s ran %.1f µs (guidance: at most 25 µs)', r.routine, r.duration_ns / 1000.0) AS message
FROM routine_runs r
WHERE r.kind = 'Isr' AND r.duration_ns > 25000
