import type { Irql, Seq } from '../brands.js';
import { PASSIVE_LEVEL } from '../constants/irql.js';
import type { IrqlApi } from '../events/irql.js';
import type { RoutineKind } from '../events/routine.js';
import type { KSPIN_LOCK } from '../wdm/spin-lock.js';
import type { Thread } from './thread.js';

/** One IRQL raise still to be undone: by KeLowerIrql, a spin lock release, interrupt exit, … */
export interface RaiseFrame {
  readonly raisedTo: Irql;
  readonly savedOld: Irql;
  readonly api: IrqlApi;
  /** The spin lock whose acquire raised, for spin-lock frames. */
  readonly lock: KSPIN_LOCK | null;
}

/** A driver routine running (innermost last). */
export interface RoutineFrame {
  /** seq of its RoutineEntered */
  readonly activation: Seq;
  readonly routine: string;
  readonly driver: string;
  readonly kind: RoutineKind;
  readonly entryIrql: Irql;
}

/**
 * What a processor is running: a thread, or the processor's own arbitrary context when it services
 * interrupts and DPCs while idle. A thread's context travels with it from processor to processor.
 */
export class ExecContext {
  irql: Irql = PASSIVE_LEVEL;
  readonly raiseFrames: RaiseFrame[] = [];
  readonly routines: RoutineFrame[] = [];
  constructor(readonly thread: Thread | null) {}

  get innermost(): RoutineFrame | undefined {
    return this.routines[this.routines.length - 1];
  }
}
