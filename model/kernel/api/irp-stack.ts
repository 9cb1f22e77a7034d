import { SL_INVOKE_ON_CANCEL, SL_INVOKE_ON_ERROR, SL_INVOKE_ON_SUCCESS, SL_PENDING_RETURNED } from '../../constants/irp.js';
import { IO_STACK_LOCATION, type Irp, type PIO_COMPLETION_ROUTINE } from '../../wdm/irp.js';
import type { Machine, OutsideLocation } from '../machine.js';
import { routineName } from '../routine-call.js';

// These are macros in wdm.h: they run inline, so they are not preemption points, but each change to
// the IRP is an event.

function touched(m: Machine, irp: Irp, api: string): void {
  if (irp.released) m.irpAccessed(irp, api);
}

/**
 * A stack location the IRP does not have: past its last one (CL = StackCount+1: the IRP's creator,
 * and a completion routine at the top of the walk, have no location of their own) or before its
 * first (the lowest driver's next location). In Windows the pointer lands outside the IRP: reading
 * through it reads whatever is there, writing corrupts pool. Here it holds nothing from one call to
 * the next ("the IoCompletion routine has no local context storage for itself in the IRP"), and the
 * first field the driver reads or writes through it records IrpAccessed, `api` the macro that
 * returned it and `detail.location` where it was.
 */
function outside(m: Machine, irp: Irp, api: string, where: OutsideLocation): IO_STACK_LOCATION {
  let recorded = false;
  const record = (): void => {
    if (recorded) return;
    recorded = true;
    // A released IRP's access is already recorded as such (use after release).
    if (!irp.released) m.irpAccessed(irp, api, where);
  };
  return new Proxy(new IO_STACK_LOCATION(), {
    get(target, key, receiver) {
      record();
      return Reflect.get(target, key, receiver);
    },
    set(target, key, value, receiver) {
      record();
      return Reflect.set(target, key, value, receiver);
    },
  });
}

/** IoGetCurrentIrpStackLocation(Irp): the caller's own location. */
export function IoGetCurrentIrpStackLocation(m: Machine, Irp: Irp): IO_STACK_LOCATION {
  touched(m, Irp, 'IoGetCurrentIrpStackLocation');
  const at = Irp.currentLocation;
  if (at > Irp.StackCount) return outside(m, Irp, 'IoGetCurrentIrpStackLocation', 'past the end');
  return Irp.location(at) ?? outside(m, Irp, 'IoGetCurrentIrpStackLocation', 'before the first');
}

/** IoGetNextIrpStackLocation(Irp): the next-lower driver's location. */
export function IoGetNextIrpStackLocation(m: Machine, Irp: Irp): IO_STACK_LOCATION {
  touched(m, Irp, 'IoGetNextIrpStackLocation');
  const at = Irp.currentLocation - 1;
  if (at > Irp.StackCount) return outside(m, Irp, 'IoGetNextIrpStackLocation', 'past the end');
  return Irp.location(at) ?? outside(m, Irp, 'IoGetNextIrpStackLocation', 'before the first');
}

/** IoSetNextIrpStackLocation(Irp): CurrentLocation--, for a driver that allocated a location of its own. */
export function IoSetNextIrpStackLocation(m: Machine, Irp: Irp): void {
  touched(m, Irp, 'IoSetNextIrpStackLocation');
  Irp.currentLocation--;
  m.em.irpStackLocationChanged(Irp, 'IoSetNextIrpStackLocation');
}

/** IoSkipCurrentIrpStackLocation(Irp): CurrentLocation++, so the lower driver reuses this location. */
export function IoSkipCurrentIrpStackLocation(m: Machine, Irp: Irp): void {
  touched(m, Irp, 'IoSkipCurrentIrpStackLocation');
  Irp.currentLocation++;
  m.em.irpStackLocationChanged(Irp, 'IoSkipCurrentIrpStackLocation');
}

/** IoCopyCurrentIrpStackLocationToNext(Irp): copy up to CompletionRoutine; the next Control is cleared. */
export function IoCopyCurrentIrpStackLocationToNext(m: Machine, Irp: Irp): void {
  touched(m, Irp, 'IoCopyCurrentIrpStackLocationToNext');
  const current = Irp.location(Irp.currentLocation);
  const next = Irp.location(Irp.currentLocation - 1);
  if (current !== undefined && next !== undefined) current.copyTo(next);
  m.em.irpStackLocationChanged(Irp, 'IoCopyCurrentIrpStackLocationToNext');
}

/** IoMarkIrpPending(Irp): sets SL_PENDING_RETURNED in the current location. */
export function IoMarkIrpPending(m: Machine, Irp: Irp): void {
  touched(m, Irp, 'IoMarkIrpPending');
  const current = Irp.location(Irp.currentLocation);
  if (current !== undefined) current.Control |= SL_PENDING_RETURNED;
  m.em.irpMarkedPending(Irp, 'IoMarkIrpPending');
}

/**
 * IoSetCompletionRoutine(Irp, CompletionRoutine, Context, InvokeOnSuccess, InvokeOnError,
 * InvokeOnCancel): registers the routine in the next-lower location, overwriting its Control.
 */
export function IoSetCompletionRoutine(m: Machine, Irp: Irp, CompletionRoutine: PIO_COMPLETION_ROUTINE, Context: unknown,
  InvokeOnSuccess: boolean, InvokeOnError: boolean, InvokeOnCancel: boolean): void {
  touched(m, Irp, 'IoSetCompletionRoutine');
  const at = Irp.currentLocation - 1;
  const next = Irp.location(at);
  if (next !== undefined) {
    next.CompletionRoutine = CompletionRoutine;
    next.Context = Context;
    next.completionDriver = m.em.current?.ctx.innermost?.driver ?? null;
    next.Control = (InvokeOnSuccess ? SL_INVOKE_ON_SUCCESS : 0) | (InvokeOnError ? SL_INVOKE_ON_ERROR : 0) | (InvokeOnCancel ? SL_INVOKE_ON_CANCEL : 0);
  }
  m.em.completionRoutineSet(Irp, at, routineName(CompletionRoutine), InvokeOnSuccess, InvokeOnError, InvokeOnCancel);
}
