-- id: SystemThreadNotTerminated
-- title: A driver's system thread still running when the run ended
-- severity: error
-- checks: "A driver that creates its own threads must ensure that each such thread terminates." (its unload routine tells each thread to exit and waits on the thread object; a thread left running after unload runs code that is gone)
-- source: ddi:nf-wdm-psterminatesystemthread; ddi:nf-wdm-pscreatesystemthread
--
-- Only on a trace whose run finished (completed or stalled): a cut trace cannot say "never".
-- seq: the thread's StartRoutine entry (RoutineEntered, api SystemThread); seq2: SessionEnded.
SELECT r.activation AS seq, e.seq AS seq2,
       printf('%s of driver %s (thread %d) never returned or called PsTerminateSystemThread before the run ended (%s)',
              r.routine, r.driver, r.thread, e.api) AS message
FROM routine_runs r
JOIN events e ON e.kind = 'SessionEnded' AND e.api IN ('completed', 'stalled')
WHERE r.kind = 'SystemThread' AND r.return_seq IS NULL
