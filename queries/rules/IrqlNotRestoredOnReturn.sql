-- id: IrqlNotRestoredOnReturn
-- title: Routine returned at a different IRQL than it was entered at
-- severity: fatal
-- checks: "A dispatch routine must return at the same IRQL at which it was called." (IoCompletion routines and ISRs likewise; a DPC routine returns at DISPATCH_LEVEL; a system thread's start routine and DriverUnload, called at PASSIVE_LEVEL, return there)
-- source: SDV:IrqlReturn; C9:0x05; C4:0xFA; C4:0x111; ROS:dpc.c#KiRetireDpcList; ddi:nf-wdm-psterminatesystemthread (IRQL PASSIVE_LEVEL); ddi:nc-wdm-driver_unload
--
-- seq: the RoutineReturned; seq2: the RoutineEntered.
SELECT r.return_seq AS seq, r.entry_seq AS seq2,
       printf('%s (%s) returned at IRQL %d; it was entered at IRQL %d', r.routine, r.kind, r.return_irql,
              CASE WHEN r.kind = 'Dpc' THEN 2 ELSE r.entry_irql END) AS message
FROM routine_runs r
WHERE r.return_seq IS NOT NULL
  AND ((+r.kind IN ('Dispatch', 'Completion', 'Isr', 'StartIo', 'DriverEntry', 'AddDevice', 'SystemThread', 'Unload') AND r.return_irql <> r.entry_irql)
       OR (+r.kind = 'Dpc' AND r.return_irql <> 2))
