import type { NtStatus } from '../../brands.js';
import { DISPATCH_LEVEL } from '../../constants/irql.js';
import { STATUS_SUCCESS, STATUS_TIMEOUT } from '../../constants/ntstatus.js';
import { KEVENT, type EVENT_TYPE } from '../../wdm/kevent.js';
import { KTHREAD, type DispatcherObject } from '../../wdm/kthread.js';
import type { Machine } from '../machine.js';
import { signalObject } from '../dispatcher.js';
import { ScenarioError } from '../errors.js';
import { afterPoint } from './after-point.js';

/** KeInitializeEvent(Event, Type, State). */
export function KeInitializeEvent(Event: KEVENT, Type: EVENT_TYPE, State: boolean): void {
  Event.Type = Type;
  Event.SignalState = State ? 1 : 0;
  Event.waiters.length = 0;
}

/** Sets the event and wakes its waiters (a notification event wakes all, a synchronization event one). */
export function signalEvent(m: Machine, event: KEVENT): number {
  const previous = signalObject(m, event);
  m.em.eventSignaled(event.Name, previous);
  return previous;
}


/** KeSetEvent(Event, Increment, Wait): returns the previous signal state. */
export function KeSetEvent(m: Machine, Event: KEVENT, _Increment = 0, _Wait = false): number | Promise<number> {
  m.enter('KeSetEvent');
  // A JavaScript scenario could pass a thread object, which would then look terminated.
  if (!(Event instanceof KEVENT)) throw new ScenarioError(`KeSetEvent takes an event (KEVENT), not ${describeValue(Event)}`);
  const previous = signalEvent(m, Event);
  return afterPoint(m.point(m.cost('event')), previous);
}

/** KeClearEvent(Event). */
export function KeClearEvent(Event: KEVENT): void {
  Event.SignalState = 0;
}

/** KeResetEvent(Event): returns the previous state. */
export function KeResetEvent(Event: KEVENT): number {
  const previous = Event.SignalState;
  Event.SignalState = 0;
  return previous;
}

export function KeReadStateEvent(Event: KEVENT): number {
  return Event.SignalState;
}

/**
 * The system time (100 ns units since January 1, 1601, as KeQuerySystemTime gives it) when the
 * simulated machine boots: 2026-01-01T00:00:00Z. A positive KeWaitForSingleObject timeout is an
 * absolute system time; the simulated clock counts from this one.
 */
export const BOOT_SYSTEM_TIME = (Date.UTC(2026, 0, 1) / 1000 + 11_644_473_600) * 10_000_000;

/**
 * KeWaitForSingleObject(Object, WaitReason, WaitMode, Alertable, Timeout) on an event or a thread
 * (signaled when it terminates). Timeout is null for no limit, 0 to poll, negative for a time
 * relative to now and positive for an absolute system time (BOOT_SYSTEM_TIME at boot), both in
 * 100 ns units (ddi:nf-wdm-kewaitforsingleobject); a time already past polls. A wait that must block at
 * DISPATCH_LEVEL or above stops the machine (ATTEMPTED_SWITCH_FROM_DPC inside a DPC,
 * IRQL_NOT_LESS_OR_EQUAL elsewhere). Only the waiting thread blocks; the machine runs on.
 */
export async function KeWaitForSingleObject(m: Machine, Object: DispatcherObject, _WaitReason = 'Executive', _WaitMode = 'KernelMode', _Alertable = false,
  Timeout: number | null = null): Promise<NtStatus> {
  const cpu = m.enter('KeWaitForSingleObject');
  if (!(Object instanceof KEVENT) && !(Object instanceof KTHREAD)) {
    throw new ScenarioError(`KeWaitForSingleObject waits on an event or a thread object, not ${describeValue(Object)}${(Object as unknown) instanceof Promise || Object === undefined ? ': is an `await` missing where it was obtained?' : ''}`);
  }
  const preempted = m.point(m.cost('wait'));
  if (preempted !== undefined) await preempted;
  if (Object.SignalState !== 0) {
    if (Object.Type === 'SynchronizationEvent') Object.SignalState = 0;
    // "If Timeout = NULL or *Timeout != 0, the caller must be running at IRQL <= APC_LEVEL": a wait
    // that could have blocked, at DISPATCH_LEVEL or above, breaks that even when the object happens
    // to be signaled (Windows returns; the model records the wait so the rule pack sees it).
    // A threaded DPC is held to the same rule at PASSIVE_LEVEL (k:introduction-to-threaded-dpcs).
    const ctx = m.cpu().ctx;
    if (Timeout !== 0 && (ctx.irql >= DISPATCH_LEVEL || ctx.thread?.dpcThreadOf != null)) {
      m.em.waitStarted(Object.Name);
      m.em.waitEnded(Object.Name, STATUS_SUCCESS);
    }
    return STATUS_SUCCESS;
  }
  const now = m.cpu().clock;
  const deadline = Timeout === null ? null : Timeout < 0 ? now - Timeout * 100 : (Timeout - BOOT_SYSTEM_TIME) * 100;
  if (deadline !== null && deadline <= now) return STATUS_TIMEOUT;
  const ctx = m.cpu().ctx;
  if (ctx.irql >= DISPATCH_LEVEL || ctx.thread === null) {
    const inDpc = ctx.routines.some((r) => r.kind === 'Dpc');
    m.bugcheck(inDpc ? 'ATTEMPTED_SWITCH_FROM_DPC' : 'IRQL_NOT_LESS_OR_EQUAL', { object: Object.Name, irql: ctx.irql, cpu: cpu.id });
  }
  const thread = ctx.thread!;
  thread.waitingOn = Object;
  Object.waiters.push(thread);
  let timedOut = false;
  if (deadline !== null) {
    m.schedule(deadline, () => {
      if (thread.waitingOn !== Object) return;
      Object.waiters.splice(Object.waiters.indexOf(thread), 1);
      thread.waitingOn = null;
      timedOut = true;
      m.makeReady(thread);
    });
  }
  m.em.waitStarted(Object.Name);
  while (thread.waitingOn === Object) {
    // Woken for a kernel APC (run on waking), or satisfied: the wait is re-checked.
    await m.blockThread('waiting');
  }
  const status = timedOut ? STATUS_TIMEOUT : STATUS_SUCCESS;
  m.em.waitEnded(Object.Name, status);
  return status;
}

export { KEVENT };

/** A value a driver passed where an object was expected, for an error message: `a KTHREAD`, `undefined`. */
function describeValue(value: unknown): string {
  return value === null || typeof value !== 'object' ? String(value) : `a ${(value as object).constructor.name}`;
}
