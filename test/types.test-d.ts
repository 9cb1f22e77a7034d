// Type-level tests: checked by `tsc --noEmit` (part of `npm test`), not run.
import { expectTypeOf } from 'vitest';
import type { EventKind, Irql, IrpId, Seq, TraceEvent } from '../model/index.js';

expectTypeOf<EventKind>().toEqualTypeOf<
  | 'SessionStarted' | 'SessionEnded' | 'RequestIssued' | 'RequestCompleted'
  | 'InterruptRequested' | 'RegisterWritten' | 'RegisterRead'
  | 'IrqlRaised' | 'IrqlLowered' | 'SpinLockAcquired' | 'SpinLockReleased'
  | 'DpcQueued' | 'DpcDequeued' | 'RoutineEntered' | 'RoutineReturned'
  | 'IrpAllocated' | 'IrpStackLocationChanged' | 'CompletionRoutineSet' | 'IrpCalled' | 'IrpCallReturned' | 'IrpMarkedPending'
  | 'IrpCompletionRequested' | 'IrpCompleted' | 'MasterIrpCountChanged' | 'IrpFreed' | 'CancelRoutineSet' | 'IrpCancelled'
  | 'IrpReused'
  | 'IrpAccessed' | 'IrpQueued' | 'IrpDequeued' | 'WaitStarted' | 'WaitEnded' | 'EventSignaled' | 'ContextSwitched' | 'Bugcheck'
>();

declare const seq: Seq;
declare const irp: IrpId;
declare function takesIrp(id: IrpId): void;
takesIrp(irp);
// @ts-expect-error a Seq is not an IrpId
takesIrp(seq);

// Narrowing on `kind` gives the kind's own non-null columns.
declare const e: TraceEvent;
if (e.kind === 'IrpCalled') {
  expectTypeOf(e.irp).toEqualTypeOf<IrpId>();
  expectTypeOf(e.device).toEqualTypeOf<string>();
}
if (e.kind === 'IrqlRaised') expectTypeOf(e.newIrql).toEqualTypeOf<Irql>();

// Events are read-only.
// @ts-expect-error seq is readonly
e.seq = 1 as Seq;
