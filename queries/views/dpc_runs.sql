-- dpc_runs: one row per DPC queuing (IoRequestDpc / KeInsertQueueDpc), with the run it led to;
-- threaded DPCs too (their run's routine kind is ThreadedDpc, run in the processor's DPC thread).
--   queued_seq, queued_time_ns, api, dpc, device, irp (SystemArgument1 when it is an IRP)
--   queued_irql, queued_cpu      the caller's IRQL and processor; queued_activation: the routine that queued it
--   target_cpu                   the processor whose queue it went to
--   inserted                     1 inserted; 0 already queued, so its arguments were dropped (no run of its own)
--   activation, routine, driver  the DPC routine's invocation (the first run of that DPC object after queuing)
--   run_cpu, started_seq, started_time_ns, returned_seq, returned_time_ns, return_irql
--   latency_ns                   started_time_ns - queued_time_ns
--   duration_ns                  returned_time_ns - started_time_ns
WITH q AS (
  SELECT seq, 'Q' AS what, dpc FROM events WHERE kind = 'DpcQueued' AND result = 1
  UNION ALL
  SELECT activation, 'R', dpc FROM routine_runs WHERE kind IN ('Dpc', 'ThreadedDpc')
), paired AS (
  SELECT seq, what, lead(seq) OVER (PARTITION BY dpc ORDER BY seq) AS next_seq,
         lead(what) OVER (PARTITION BY dpc ORDER BY seq) AS next_what
  FROM q
)
SELECT d.seq AS queued_seq, d.time_ns AS queued_time_ns, d.api, d.dpc, d.device, d.irp,
       d.irql AS queued_irql, json_extract(d.detail, '$.from') AS queued_cpu, d.activation AS queued_activation,
       d.cpu AS target_cpu, d.result AS inserted,
       r.activation, r.routine, r.driver, r.cpu AS run_cpu,
       r.entry_seq AS started_seq, r.entry_time_ns AS started_time_ns,
       r.return_seq AS returned_seq, r.return_time_ns AS returned_time_ns, r.return_irql,
       r.entry_time_ns - d.time_ns AS latency_ns, r.duration_ns
FROM events d
LEFT JOIN paired p ON p.seq = d.seq AND p.what = 'Q' AND p.next_what = 'R'
LEFT JOIN routine_runs r ON r.activation = p.next_seq
WHERE d.kind = 'DpcQueued'
