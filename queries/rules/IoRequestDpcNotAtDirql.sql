-- id: IoRequestDpcNotAtDirql
-- title: IoRequestDpc called outside the ISR or below the device's DIRQL
-- severity: warning
-- checks: "IoRequestDpc runs at the DIRQL value that was specified by SynchronizeIrql when the driver called IoConnectInterrupt."
-- source: ddi:nf-wdm-iorequestdpc; k:registering-and-queuing-a-dpcforisr-routine
--
-- seq: the DpcQueued; seq2: the routine that called IoRequestDpc (its RoutineEntered).
-- The calling routine is its RoutineEntered event (api: the routine's kind, irql: its entry IRQL),
-- read by seq: no view needed.
SELECT d.seq AS seq, d.activation AS seq2,
       CASE WHEN r.api IS NULL THEN printf('IoRequestDpc(%s) called outside any driver routine at IRQL %d', d.device, d.irql)
            WHEN r.api <> 'Isr' THEN printf('%s (a %s routine, not the ISR) called IoRequestDpc(%s) at IRQL %d', r.routine, r.api, d.device, d.irql)
            ELSE printf('%s called IoRequestDpc(%s) at IRQL %d, below its DIRQL %d', r.routine, d.device, d.irql, r.irql) END AS message
FROM events d
LEFT JOIN events r ON r.seq = d.activation AND r.kind = 'RoutineEntered'
WHERE d.kind = 'DpcQueued' AND d.api = 'IoRequestDpc'
  AND (r.api IS NULL OR r.api <> 'Isr' OR d.irql < r.irql)
