import type { Thread } from '../kernel/thread.js';
import type { KEVENT } from './kevent.js';

/** PsCreateSystemThread's StartRoutine(StartContext), run at PASSIVE_LEVEL in the new thread. */
export type PKSTART_ROUTINE = (StartContext: unknown) => Promise<void> | void;

/**
 * A system thread as a dispatcher object: what ObReferenceObjectByHandle gives a driver for the
 * handle PsCreateSystemThread returns. Signaled (for good, like a notification event) when the
 * thread terminates, so a DriverUnload routine can wait for its worker thread to exit.
 */
export class KTHREAD {
  /** Not an event type: a thread object is not a KEVENT (KeSetEvent does not take one). Signaled, it stays signaled. */
  readonly Type = 'ThreadObject' as const;
  SignalState = 0;
  /** @internal threads blocked on it, in wait order */
  readonly waiters: Thread[] = [];
  constructor(readonly Name: string) {}
}

/** What KeWaitForSingleObject can wait on. */
export type DispatcherObject = KEVENT | KTHREAD;
