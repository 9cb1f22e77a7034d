import type { Seq } from '../brands.js';
import { toNtStatus } from '../constants/ntstatus.js';
import type { RoutineKind } from '../events/routine.js';
import type { DeviceObject } from '../wdm/device.js';
import type { Irp } from '../wdm/irp.js';
import type { RoutineFrame } from './context.js';
import { ScenarioError } from './errors.js';
import type { Machine } from './machine.js';

/** What each kind of routine returns. */
const RETURNS: Record<RoutineKind, 'status' | 'boolean' | 'void'> = {
  DriverEntry: 'status', AddDevice: 'status', Dispatch: 'status', Completion: 'status',
  Isr: 'boolean', StartIo: 'void', Dpc: 'void', Cancel: 'void', SystemThread: 'status', Unload: 'void', ThreadedDpc: 'void',
};

/** The name the trace gives a routine: its function name. */
export function routineName(fn: { name: string }): string {
  return fn.name === '' ? 'anonymous' : fn.name;
}

/**
 * Runs a driver routine: RoutineEntered, the routine, RoutineReturned with what it returned.
 * The frame is pushed on the running context (it moves with its thread if the routine waits), and
 * its seq becomes the `activation` of every event inside.
 */
export async function callRoutine<R>(
  m: Machine, kind: RoutineKind, routine: string, driver: string,
  device: DeviceObject | string | null, irp: Irp | null, dpc: string | null, invoke: () => Promise<R> | R,
  /** Applies what the result changes before RoutineReturned is emitted (the trace shows state after each event). */
  onResult?: (status: number | null) => void,
): Promise<R> {
  if (m.unloaded.size > 0) m.checkLoaded(driver, `${routine} (${kind}) was called`);
  const ctx = m.cpu().ctx;
  const frame: RoutineFrame = { activation: m.em.count as Seq, routine, driver, kind, entryIrql: ctx.irql };
  ctx.routines.push(frame);
  const deviceName = device === null || typeof device === 'string' ? device : device.Name;
  m.em.routineEntered(frame, deviceName, irp, dpc);
  const result = await invoke();
  const expected = RETURNS[kind];
  let status: number | null = null;
  if (expected === 'status') {
    if (typeof result !== 'number') throw new ScenarioError(badReturn(routine, kind, result, 'an NTSTATUS'));
    status = toNtStatus(result);
  } else if (expected === 'boolean') {
    if (typeof result !== 'boolean') throw new ScenarioError(badReturn(routine, kind, result, 'TRUE or FALSE (a boolean)'));
    status = result ? 1 : 0;
  }
  const top = ctx.routines.pop();
  if (top !== frame) throw new ScenarioError(`${routine} returned while a routine it started (${top?.routine}) was still running: is an \`await\` missing?`);
  onResult?.(status);
  m.em.routineReturned(frame, deviceName, irp, status);
  return (status !== null && expected === 'status' ? status : result) as R;
}

function badReturn(routine: string, kind: RoutineKind, value: unknown, wanted: string): string {
  const what = value instanceof Promise ? 'a Promise (is an `await` missing?)' : value === undefined ? 'nothing' : `${typeof value} ${String(value)}`;
  return `${routine} (a ${kind} routine) returned ${what}; it must return ${wanted}`;
}
