-- id: DpcInsertCoalesced
-- title: DPC queued while already queued: its arguments were dropped
-- severity: warning
-- checks: "If the specified DPC object is already in the DPC queue, no operation is performed except to return FALSE." (there is no one-to-one correspondence between IoRequestDpc calls and DpcForIsr runs)
-- source: ddi:nf-wdm-keinsertqueuedpc; ROS:dpc.c#KeInsertQueueDpc; k:registering-and-queuing-a-dpcforisr-routine
--
-- seq: the DpcQueued that was dropped; seq2: the DpcQueued whose arguments the pending DPC carries.
SELECT d.seq AS seq,
       (SELECT max(q.seq) FROM events q WHERE q.kind = 'DpcQueued' AND q.seq < d.seq AND q.result = 1 AND q.dpc = d.dpc) AS seq2,
       printf('%s queued %s while it was already queued: its arguments%s were dropped',
              coalesce(d.routine, 'kernel code'), d.dpc, coalesce(' (IRP ' || d.irp || ')', '')) AS message
FROM events d
WHERE d.kind = 'DpcQueued' AND d.result = 0
