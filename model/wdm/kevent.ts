import type { Thread } from '../kernel/thread.js';

export type EVENT_TYPE = 'NotificationEvent' | 'SynchronizationEvent';

/** A dispatcher event object (KEVENT). Initialise with KeInitializeEvent. */
export class KEVENT {
  Type: EVENT_TYPE = 'NotificationEvent';
  SignalState = 0;
  /** @internal threads blocked on it, in wait order */
  readonly waiters: Thread[] = [];
  constructor(readonly Name: string) {}
}
