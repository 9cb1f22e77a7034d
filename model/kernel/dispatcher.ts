import type { DispatcherObject } from '../wdm/kthread.js';
import type { Machine } from './machine.js';
import type { Thread } from './thread.js';

/**
 * Signals a dispatcher object (an event, or a thread that terminated) and wakes its waiters: a
 * notification event or a thread wakes all and stays signaled, a synchronization event wakes one or, with no
 * waiter, stays signaled for the next. Returns the previous state. Records nothing: the caller's
 * event says why (EventSignaled for KeSetEvent; a thread's last RoutineReturned for its end).
 */
export function signalObject(m: Machine, object: DispatcherObject): number {
  const previous = object.SignalState;
  if (object.Type !== 'SynchronizationEvent') {
    object.SignalState = 1;
    for (const thread of object.waiters.splice(0)) satisfy(m, thread);
  } else {
    const first = object.waiters.shift();
    if (first !== undefined) satisfy(m, first);
    else object.SignalState = 1;
  }
  return previous;
}

function satisfy(m: Machine, thread: Thread): void {
  thread.waitingOn = null;
  m.makeReady(thread);
}
