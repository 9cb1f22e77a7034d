-- id: IsrStateAfterRequestDpc
-- title: ISR kept working on the device after IoRequestDpc
-- severity: warning
-- checks: "The ISR should call IoRequestDpc just before it returns", since the DpcForIsr can start on another processor before the ISR has finished setting up the context it uses.
-- source: k:registering-and-queuing-a-dpcforisr-routine
--
-- seq: the register write after the DpcQueued; seq2: the DpcQueued.
SELECT w.seq AS seq, d.seq AS seq2,
       printf('%s wrote register %s after queuing %s: the DPC may already be running on another processor', w.routine,
              coalesce(json_extract(w.detail, '$.register'), '?'), d.dpc) AS message
FROM events d
JOIN routine_runs r ON r.activation = d.activation AND r.kind = 'Isr'
JOIN events w ON w.activation = d.activation AND w.kind = 'RegisterWritten' AND w.seq > d.seq
WHERE d.kind = 'DpcQueued' AND d.result = 1
