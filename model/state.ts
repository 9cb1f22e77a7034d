import type { CpuId, Irql, IrpId, Seq, ThreadId, TimeNs } from './brands.js';
import type { IrqlApi } from './events/irql.js';
import type { IrpAllocationApi } from './events/irp.js';
import type { RoutineKind } from './events/routine.js';
import type { EndReason } from './events/session.js';

/** An IRQL raise not yet undone. */
export interface RaiseFrameState {
  readonly raisedTo: Irql;
  readonly savedOld: Irql;
  readonly api: IrqlApi;
  readonly lock: string | null;
}

/** A driver routine running. */
export interface RoutineState {
  readonly activation: Seq;
  readonly routine: string;
  readonly driver: string;
  readonly kind: RoutineKind;
}

/** What runs on a processor, or a thread's saved context while it is off every processor. */
export interface ContextState {
  irql: Irql;
  readonly frames: RaiseFrameState[];
  readonly routines: RoutineState[];
}

export interface CpuState extends ContextState {
  readonly id: CpuId;
  /** The thread it runs; null for its own arbitrary context. */
  thread: ThreadId | null;
  /** Queued DPC objects, in the order they will run. */
  readonly dpcQueue: string[];
  /** Queued threaded DPC objects, in the order its DPC thread will run them. */
  readonly threadedDpcQueue: string[];
}

/** A completion routine registered in one stack location. */
export interface CompletionState {
  readonly loc: number;
  readonly routine: string;
  readonly onSuccess: boolean;
  readonly onError: boolean;
  readonly onCancel: boolean;
}

export type IrpPhaseState = 'allocated' | 'dispatched' | 'completing' | 'reclaimed' | 'completed';

/** A live (not yet freed) IRP. */
export interface IrpState {
  readonly id: IrpId;
  readonly api: IrpAllocationApi;
  readonly stackCount: number;
  /** CurrentLocation. */
  loc: number;
  phase: IrpPhaseState;
  /** The device it was last sent to. */
  device: string | null;
  /** Locations with SL_PENDING_RETURNED set, ascending. */
  pending: number[];
  /** Registered completion routines, by location ascending. */
  completions: CompletionState[];
  /** AssociatedIrp.MasterIrp: set at IoMakeAssociatedIrp, cleared by IoReuseIrp. */
  master: IrpId | null;
  /** AssociatedIrp.IrpCount, as last set or decremented. */
  irpCount: number;
  cancelRoutine: string | null;
  /** @internal CurrentLocation when its completion walk started. */
  walkFrom: number;
}

/**
 * The machine at one point of a run, rebuilt from events alone by `reduce`, or read from the
 * simulator by `Simulation.snapshot()`. Compare two with `canonicalState`.
 */
export interface MachineState {
  /** The last event applied; -1 before any. */
  seq: number;
  timeNs: TimeNs;
  readonly cpus: CpuState[];
  /** Live IRPs by id. */
  readonly irps: Map<IrpId, IrpState>;
  /** Held spin locks: name → processor. */
  readonly locks: Map<string, CpuId>;
  /** Saved contexts of threads that are off every processor, and each processor's idle context. */
  readonly parked: Map<string, ContextState>;
  ended: EndReason | null;
}

export function initialState(cpus: number): MachineState {
  return {
    seq: -1, timeNs: 0, ended: null,
    cpus: Array.from({ length: cpus }, (_, id) => ({ id, irql: 0, thread: null, frames: [], routines: [], dpcQueue: [], threadedDpcQueue: [] })),
    irps: new Map(), locks: new Map(), parked: new Map(),
  };
}

/** A deep copy (for checkpoints). */
export function cloneState(s: MachineState): MachineState {
  return {
    seq: s.seq, timeNs: s.timeNs, ended: s.ended,
    cpus: s.cpus.map((c) => ({ ...c, frames: [...c.frames], routines: [...c.routines], dpcQueue: [...c.dpcQueue], threadedDpcQueue: [...c.threadedDpcQueue] })),
    irps: new Map([...s.irps].map(([k, v]) => [k, { ...v, pending: [...v.pending], completions: [...v.completions] }])),
    locks: new Map(s.locks),
    parked: new Map([...s.parked].map(([k, v]) => [k, { irql: v.irql, frames: [...v.frames], routines: [...v.routines] }])),
  };
}

/**
 * A plain, order-independent copy of the state for comparison and display: IRPs sorted by id,
 * locks by name, parked contexts only where something is pending in them; internal fields dropped.
 */
export function canonicalState(s: MachineState): unknown {
  const parked = [...s.parked]
    .filter(([, c]) => c.irql !== 0 || c.frames.length > 0 || c.routines.length > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, c]) => ({ key, irql: c.irql, frames: [...c.frames], routines: [...c.routines] }));
  // Copies throughout: the fold goes on mutating the state this was taken from.
  return {
    cpus: s.cpus.map((c) => ({ id: c.id, irql: c.irql, thread: c.thread, frames: [...c.frames], routines: [...c.routines], dpcQueue: [...c.dpcQueue], threadedDpcQueue: [...c.threadedDpcQueue] })),
    irps: [...s.irps.values()].sort((a, b) => a.id - b.id).map(({ walkFrom: _w, ...irp }) => ({ ...irp, pending: [...irp.pending], completions: [...irp.completions] })),
    locks: [...s.locks].sort(([a], [b]) => (a < b ? -1 : 1)),
    parked,
  };
}
