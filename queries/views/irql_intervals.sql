-- irql_intervals: per processor, the stretches of the trace during which its IRQL stayed the same.
--   cpu, irql
--   from_seq, from_time_ns   the IrqlRaised/IrqlLowered that set it (or the processor's first event)
--   to_seq, to_time_ns       the next change on that processor (exclusive), or the trace's last event
--   api, lock, activation    what changed it (KeRaiseIrql, KeAcquireSpinLock, Interrupt, DpcDrain, …), in which routine
--   duration_ns
-- The IRQL of processor c at seq s: WHERE cpu = c AND from_seq <= s AND s < to_seq.
WITH changes AS (
  SELECT cpu, new_irql AS irql, seq, time_ns, api, lock, activation
  FROM events WHERE kind IN ('IrqlRaised', 'IrqlLowered')
  UNION ALL
  SELECT s.cpu, s.irql, s.seq, s.time_ns, NULL, NULL, s.activation
  FROM (SELECT cpu, min(seq) AS seq FROM events WHERE cpu IS NOT NULL GROUP BY cpu) m
  JOIN events s ON s.seq = m.seq
), last AS (
  SELECT e.seq + 1 AS end_seq, e.time_ns AS end_time_ns FROM events e ORDER BY e.seq DESC LIMIT 1
)
SELECT cpu, irql, seq AS from_seq, time_ns AS from_time_ns,
       coalesce(lead(seq) OVER w, (SELECT end_seq FROM last)) AS to_seq,
       coalesce(lead(time_ns) OVER w, (SELECT end_time_ns FROM last)) AS to_time_ns,
       api, lock, activation,
       coalesce(lead(time_ns) OVER w, (SELECT end_time_ns FROM last)) - time_ns AS duration_ns
FROM changes
WINDOW w AS (PARTITION BY cpu ORDER BY seq)
