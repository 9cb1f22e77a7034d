-- id: IoRequestDpcNotAtDirql
-- title: IoRequestDpc called outside the ISR or below the device's DIRQL
-- severity: warning
-- checks: "IoRequestDpc runs at the DIRQL value that was specified by SynchronizeIrql when the driver called IoConnectInterrupt."
-- source: ddi:nf-wdm-iorequestdpc; k:registering-and-queuing-a-dpcforisr-routine
--
-- seq: the DpcQueued; seq2: the routine that called IoRequestDpc (its RoutineEntered).
SELECT d.seq AS seq, d.activation AS seq2,
       CASE WHEN r.kind IS NULL THEN printf('IoRequestDpc(%s) called outside any driver routine at IRQL %d', d.device, d.irql)
            WHEN r.kind <> 'Isr' THEN printf('%s (a %s routine, not the ISR) called IoRequestDpc(%s) at IRQL %d', r.routine, r.kind, d.device, d.irql)
            ELSE printf('%s called IoRequestDpc(%s) at IRQL %d, below its DIRQL %d', r.routine, d.device, d.irql, r.entry_irql) END AS message
FROM events d
LEFT JOIN routine_runs r ON r.activation = d.activation
WHERE d.kind = 'DpcQueued' AND d.api = 'IoRequestDpc'
  AND (r.kind IS NULL OR r.kind <> 'Isr' OR d.irql < r.entry_irql)
