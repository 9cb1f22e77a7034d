import { IRP_ASSOCIATED_IRP, IRP_PAGING_IO, IRP_SYNCHRONOUS_PAGING_IO, SL_INVOKE_ON_CANCEL, SL_INVOKE_ON_ERROR, SL_INVOKE_ON_SUCCESS, SL_PENDING_RETURNED } from '../../constants/irp.js';
import { NT_SUCCESS, STATUS_MORE_PROCESSING_REQUIRED } from '../../constants/ntstatus.js';
import type { Irp } from '../../wdm/irp.js';
import type { Machine } from '../machine.js';
import { callRoutine, routineName } from '../routine-call.js';
import { freeIrp } from './irp-alloc.js';
import { signalEvent } from './wait.js';

/**
 * IoCompleteRequest(Irp, PriorityBoost), in IofCompleteRequest's exact order
 * (windows-semantics.md §3.6): a second completion of a finished IRP is bug check
 * MULTIPLE_IRP_COMPLETE_REQUESTS; then the upward walk, location by location, setting
 * PendingReturned from each location, invoking each completion routine whose InvokeOn* matches the
 * status (re-read at every level), stopping at STATUS_MORE_PROCESSING_REQUIRED, and propagating
 * the pending bit where no routine runs. When the walk reaches the top, an associated IRP
 * decrements its master's IrpCount, is freed, and completes the master at zero; any other IRP with
 * a thread gets the I/O manager's completion APC (synchronous paging I/O is finished at once), and
 * a cancelled one without a thread is freed.
 */
export function IoCompleteRequest(m: Machine, Irp: Irp, PriorityBoost = 0): Promise<void> {
  m.enter('IoCompleteRequest');
  // A freed IRP is still completed, as Windows would walk whatever the memory now holds; the
  // trace records the touch so that use-after-free can be found.
  if (Irp.released) m.irpAccessed(Irp, 'IoCompleteRequest');
  // The walk's own promise, not one more around it: this runs once per completion.
  return completeRequest(m, Irp, PriorityBoost);
}

async function completeRequest(m: Machine, irp: Irp, boost: number): Promise<void> {
  // A freed IRP stays freed: the I/O manager's own free at the end is then a second one.
  if (irp.phase !== 'freed') irp.phase = 'completing';
  m.em.irpCompletionRequested(irp, irp.ioStatus.Status, boost);
  if (irp.currentLocation > irp.StackCount + 1) {
    m.bugcheck('MULTIPLE_IRP_COMPLETE_REQUESTS', { irp: irp.id, currentLocation: irp.currentLocation, stackCount: irp.StackCount });
  }
  const preempted = m.point(m.cost('completeRequest'));
  if (preempted !== undefined) await preempted;
  irp.currentLocation++;
  while (irp.currentLocation <= irp.StackCount + 1) {
    const stackPtr = irp.stack[irp.currentLocation - 2]!;
    irp.pendingReturned = (stackPtr.Control & SL_PENDING_RETURNED) !== 0;
    const status = irp.ioStatus.Status;
    const success = NT_SUCCESS(status);
    const control = stackPtr.Control;
    const routine = stackPtr.CompletionRoutine;
    const invoke = routine !== null && ((success && (control & SL_INVOKE_ON_SUCCESS) !== 0) ||
      (!success && (control & SL_INVOKE_ON_ERROR) !== 0) || (irp.cancel && (control & SL_INVOKE_ON_CANCEL) !== 0));
    if (invoke) {
      const context = stackPtr.Context;
      const registrant = stackPtr.completionDriver;
      stackPtr.clearForWalk();
      const device = irp.currentLocation === irp.StackCount + 1 ? null : irp.stack[irp.currentLocation - 1]!.DeviceObject;
      const driver = registrant ?? device?.DriverObject.DriverName ?? 'unknown';
      const result = await callRoutine(m, 'Completion', routineName(routine), driver, device, irp, null, () => routine(device, irp, context),
        (status) => {
          // "Don't touch the packet: it might be gone." The registrant owns it again.
          if (status === STATUS_MORE_PROCESSING_REQUIRED && irp.phase === 'completing') irp.phase = 'reclaimed';
        });
      if (result === STATUS_MORE_PROCESSING_REQUIRED) return;
      // The routine freed the IRP and let the walk go on: IoCompleteRequest now walks freed memory.
      if (irp.phase === 'freed') m.irpAccessed(irp, 'IoCompleteRequest');
    } else {
      stackPtr.clearForWalk();
      if (irp.currentLocation <= irp.StackCount && irp.pendingReturned) {
        irp.stack[irp.currentLocation - 1]!.Control |= SL_PENDING_RETURNED;
        m.em.irpMarkedPending(irp, 'IoCompleteRequest');
      }
    }
    irp.currentLocation++;
  }
  await finishWalk(m, irp, boost);
}

async function finishWalk(m: Machine, irp: Irp, boost: number): Promise<void> {
  if (irp.phase !== 'freed') irp.phase = 'completed';
  m.em.irpCompleted(irp, irp.ioStatus.Status);
  if ((irp.flags & IRP_ASSOCIATED_IRP) !== 0 && irp.associated.MasterIrp !== null) {
    // ReactOS order: decrement the master, free the associated IRP, complete the master at zero.
    const master = irp.associated.MasterIrp;
    const count = --master.associated.irpCount;
    m.em.masterIrpCountChanged(master, count, 'IoCompleteRequest');
    freeIrp(m, irp, 'IoManager');
    if (count === 0) await completeRequest(m, master, boost);
    return;
  }
  if ((irp.flags & IRP_PAGING_IO) !== 0 && (irp.flags & IRP_SYNCHRONOUS_PAGING_IO) !== 0) {
    // Synchronous paging I/O has no completion APC: IoCompleteRequest itself copies the IOSB, sets
    // the event the memory manager waits on, and frees the IRP, wherever it runs.
    finishRequest(m, irp);
    return;
  }
  const thread = irp.thread;
  if (thread !== null) m.queueApc(thread, () => finishRequest(m, irp));
  // A cancelled IRP that no thread owns: "nothing left for us to do, kill it" (IopCleanupIrp).
  // One that is not cancelled stays allocated: completing a thread-less IRP to the top is the
  // driver's bug (SDV:IoAllocateComplete), and Windows would queue the APC to no thread.
  else if (irp.cancel) freeIrp(m, irp, 'IoManager');
}

/**
 * IopCompleteRequest, the special kernel APC in the requester's thread (for synchronous paging I/O,
 * IoCompleteRequest itself): the requester's result (RequestCompleted for workload requests), the
 * user IOSB and event, then the IRP is freed.
 */
function finishRequest(m: Machine, irp: Irp): void {
  const { Status, Information } = irp.ioStatus;
  if (irp.api === 'IoManager') {
    m.em.requestCompleted(irp, Status, Information);
    if (irp.thread !== null) irp.thread.outstanding--;
  }
  if (irp.UserIosb !== null) {
    irp.UserIosb.Status = Status;
    irp.UserIosb.Information = Information;
  }
  if (irp.UserEvent !== null) signalEvent(m, irp.UserEvent);
  // A driver that freed it already (a completion routine that called IoFreeIrp and did not return
  // STATUS_MORE_PROCESSING_REQUIRED) makes this the second free: BAD_POOL_CALLER.
  freeIrp(m, irp, 'IoManager');
}
