import type { Irql } from '../../brands.js';
import { DISPATCH_LEVEL } from '../../constants/irql.js';
import type { Irp, PDRIVER_CANCEL } from '../../wdm/irp.js';
import { KSPIN_LOCK } from '../../wdm/spin-lock.js';
import { lowerIrql, raiseIrql } from '../irql-frames.js';
import type { Machine } from '../machine.js';
import { callRoutine, routineName } from '../routine-call.js';
import { dropSpinLock, takeSpinLock } from '../spin.js';

/** The system-wide cancel spin lock (IopCancelSpinLock). */
export const CANCEL_LOCK_NAME = 'IopCancelSpinLock';
const cancelLocks = new WeakMap<Machine, KSPIN_LOCK>();
function cancelLock(m: Machine): KSPIN_LOCK {
  let lock = cancelLocks.get(m);
  if (lock === undefined) cancelLocks.set(m, (lock = new KSPIN_LOCK(CANCEL_LOCK_NAME)));
  return lock;
}

/** IoSetCancelRoutine(Irp, CancelRoutine): an interlocked exchange; returns the previous routine. */
export function IoSetCancelRoutine(m: Machine, Irp: Irp, CancelRoutine: PDRIVER_CANCEL | null): PDRIVER_CANCEL | null {
  if (Irp.released) m.irpAccessed(Irp, 'IoSetCancelRoutine');
  const previous = Irp.cancelRoutine;
  Irp.cancelRoutine = CancelRoutine;
  m.em.cancelRoutineSet(Irp, CancelRoutine === null ? null : routineName(CancelRoutine), previous === null ? null : routineName(previous));
  return previous;
}

/** IoAcquireCancelSpinLock(&Irql): returns the IRQL to give back to IoReleaseCancelSpinLock. */
export async function IoAcquireCancelSpinLock(m: Machine): Promise<Irql> {
  const cpu = m.enter('IoAcquireCancelSpinLock');
  const lock = cancelLock(m);
  const old = raiseIrql(m.em, cpu, DISPATCH_LEVEL, 'IoAcquireCancelSpinLock', lock);
  const spinning = takeSpinLock(m, cpu, lock, 'IoAcquireCancelSpinLock');
  if (spinning !== undefined) await spinning;
  const preempted = m.point(m.cost('spinLock'));
  if (preempted !== undefined) await preempted;
  return old;
}

/** IoReleaseCancelSpinLock(Irql): a cancel routine passes Irp->CancelIrql. */
export function IoReleaseCancelSpinLock(m: Machine, Irql: Irql): void | Promise<void> {
  const cpu = m.enter('IoReleaseCancelSpinLock');
  const lock = cancelLock(m);
  dropSpinLock(m, cpu, lock, 'IoReleaseCancelSpinLock');
  lowerIrql(m.em, cpu, Irql, 'IoReleaseCancelSpinLock', lock);
  return m.point(m.cost('spinLock'));
}

/**
 * IoCancelIrp(Irp), as ReactOS: take the cancel lock, set Cancel, exchange the cancel routine for
 * NULL; with a routine, a finished IRP is bug check CANCEL_STATE_IN_COMPLETED_IRP, else the routine
 * runs holding the lock (it must release it with Irp->CancelIrql) and TRUE is returned; without one,
 * release and return FALSE.
 */
export async function IoCancelIrp(m: Machine, Irp: Irp): Promise<boolean> {
  const cpu = m.enter('IoCancelIrp');
  const lock = cancelLock(m);
  const old = raiseIrql(m.em, cpu, DISPATCH_LEVEL, 'IoCancelIrp', lock);
  const spinning = takeSpinLock(m, cpu, lock, 'IoAcquireCancelSpinLock');
  if (spinning !== undefined) await spinning;
  Irp.cancel = true;
  const routine = Irp.cancelRoutine;
  Irp.cancelRoutine = null;
  if (routine === null) {
    m.em.irpCancelled(Irp, false);
    dropSpinLock(m, cpu, lock, 'IoReleaseCancelSpinLock');
    lowerIrql(m.em, cpu, old, 'IoReleaseCancelSpinLock', lock);
    const preempted = m.point(m.cost('cancel'));
    if (preempted !== undefined) await preempted;
    return false;
  }
  if (Irp.currentLocation > Irp.StackCount + 1) {
    m.bugcheck('CANCEL_STATE_IN_COMPLETED_IRP', { irp: Irp.id, routine: routineName(routine) });
  }
  Irp.CancelIrql = old;
  m.em.irpCancelled(Irp, true);
  const device = Irp.location(Irp.currentLocation)?.DeviceObject ?? null;
  await callRoutine(m, 'Cancel', routineName(routine), device?.DriverObject.DriverName ?? 'unknown', device, Irp, null,
    () => routine(device!, Irp));
  const preempted = m.point(m.cost('cancel'));
  if (preempted !== undefined) await preempted;
  return true;
}
