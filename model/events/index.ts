import type { Bugcheck } from './bugcheck.js';
import type { DpcDequeued, DpcQueued } from './dpc.js';
import type { InterruptRequested, RegisterRead, RegisterWritten } from './interrupt.js';
import type { IrqlLowered, IrqlRaised, SpinLockAcquired, SpinLockReleased } from './irql.js';
import type {
  CancelRoutineSet, CompletionRoutineSet, IrpAccessed, IrpAllocated, IrpCallReturned, IrpCalled, IrpCancelled,
  IrpCompleted, IrpCompletionRequested, IrpDequeued, IrpFreed, IrpMarkedPending, IrpQueued, IrpReused, IrpStackLocationChanged,
  MasterIrpCountChanged,
} from './irp.js';
import type { RoutineEntered, RoutineReturned } from './routine.js';
import type { RequestCompleted, RequestIssued, SessionEnded, SessionStarted } from './session.js';
import type { ContextSwitched, EventSignaled, WaitEnded, WaitStarted } from './thread.js';

export * from './bugcheck.js';
export * from './dpc.js';
export * from './envelope.js';
export * from './interrupt.js';
export * from './irp.js';
export * from './irql.js';
export * from './routine.js';
export * from './session.js';
export * from './thread.js';

/** Every event a run can emit: one discriminated union on `kind`. */
export type TraceEvent =
  | SessionStarted | SessionEnded | RequestIssued | RequestCompleted
  | InterruptRequested | RegisterWritten | RegisterRead
  | IrqlRaised | IrqlLowered | SpinLockAcquired | SpinLockReleased
  | DpcQueued | DpcDequeued
  | RoutineEntered | RoutineReturned
  | IrpAllocated | IrpStackLocationChanged | CompletionRoutineSet | IrpCalled | IrpCallReturned | IrpMarkedPending
  | IrpCompletionRequested | IrpCompleted | MasterIrpCountChanged | IrpFreed | CancelRoutineSet | IrpCancelled
  | IrpReused
  | IrpAccessed | IrpQueued | IrpDequeued
  | WaitStarted | WaitEnded | EventSignaled | ContextSwitched
  | Bugcheck;

export type EventKind = TraceEvent['kind'];

/**
 * Every kind, in a fixed order (its index is the kind's code in columnar batches). Written as a
 * Record so that adding a kind to the union and not here fails to compile.
 */
const KIND_ORDER: Record<EventKind, number> = {
  SessionStarted: 0, SessionEnded: 1, RequestIssued: 2, RequestCompleted: 3,
  InterruptRequested: 4, IrqlRaised: 5, IrqlLowered: 6, SpinLockAcquired: 7, SpinLockReleased: 8,
  DpcQueued: 9, DpcDequeued: 10, RoutineEntered: 11, RoutineReturned: 12,
  IrpAllocated: 13, IrpStackLocationChanged: 14, CompletionRoutineSet: 15, IrpCalled: 16, IrpCallReturned: 17,
  IrpMarkedPending: 18, IrpCompletionRequested: 19, IrpCompleted: 20, MasterIrpCountChanged: 21, IrpFreed: 22,
  CancelRoutineSet: 23, IrpCancelled: 24, Bugcheck: 25,
  RegisterWritten: 26, RegisterRead: 27, IrpAccessed: 28, IrpQueued: 29, IrpDequeued: 30,
  WaitStarted: 31, WaitEnded: 32, EventSignaled: 33, ContextSwitched: 34, IrpReused: 35,
};

export const EVENT_KINDS: readonly EventKind[] = Object.freeze(
  (Object.keys(KIND_ORDER) as EventKind[]).sort((a, b) => KIND_ORDER[a] - KIND_ORDER[b]),
);

export function isEventKind(value: string): value is EventKind {
  return Object.prototype.hasOwnProperty.call(KIND_ORDER, value);
}
