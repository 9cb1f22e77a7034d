import { SL_INVOKE_ON_CANCEL, SL_INVOKE_ON_ERROR, SL_INVOKE_ON_SUCCESS, SL_PENDING_RETURNED } from '../../constants/irp.js';
import { IO_STACK_LOCATION, type Irp, type PIO_COMPLETION_ROUTINE } from '../../wdm/irp.js';
import type { Machine } from '../machine.js';
import { routineName } from '../routine-call.js';

// These are macros in wdm.h: they run inline, so they are not preemption points, but each change to
// the IRP is an event.

function touched(m: Machine, irp: Irp, api: string): void {
  if (irp.released) m.irpAccessed(irp, api);
}

/** Where a location outside the IRP's array would be: writes to it land nowhere (Windows would corrupt pool). */
function outside(): IO_STACK_LOCATION {
  return new IO_STACK_LOCATION();
}

/** IoGetCurrentIrpStackLocation(Irp): the caller's own location. */
export function IoGetCurrentIrpStackLocation(m: Machine, Irp: Irp): IO_STACK_LOCATION {
  touched(m, Irp, 'IoGetCurrentIrpStackLocation');
  return Irp.location(Irp.currentLocation) ?? outside();
}

/** IoGetNextIrpStackLocation(Irp): the next-lower driver's location. */
export function IoGetNextIrpStackLocation(m: Machine, Irp: Irp): IO_STACK_LOCATION {
  touched(m, Irp, 'IoGetNextIrpStackLocation');
  return Irp.location(Irp.currentLocation - 1) ?? outside();
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
