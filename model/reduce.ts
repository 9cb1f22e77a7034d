import type { IrpId } from './brands.js';
import { STATUS_MORE_PROCESSING_REQUIRED } from './constants/ntstatus.js';
import type { TraceEvent } from './events/index.js';
import { popRaiseFrame } from './kernel/irql-frames.js';
import type { CpuState, IrpState, MachineState, RaiseFrameState } from './state.js';

const lockOf = (f: RaiseFrameState): string | null => f.lock;

/**
 * What the fold reads of a `detail` JSON, parsed once per distinct text: details repeat (the same
 * stack count and flags, the same completion routine at the same location), and parsing each one
 * again (JSON.parse, a regex) was most of the fold's cost for those kinds.
 */
class DetailCache<T> {
  private readonly parsed = new Map<string, T>();
  constructor(private readonly parse: (detail: string) => T) {}
  get(detail: string): T {
    let value = this.parsed.get(detail);
    if (value === undefined) {
      value = this.parse(detail);
      // Bounded: a trace with ever-new details (a scenario naming objects per request) stays flat.
      if (this.parsed.size >= 4096) this.parsed.clear();
      this.parsed.set(detail, value);
    }
    return value;
  }
}

interface CompletionDetail { readonly routine: string; readonly onSuccess: boolean; readonly onError: boolean; readonly onCancel: boolean; readonly at: number }

const stackCountOf = new DetailCache((d) => (JSON.parse(d) as { stackCount?: number }).stackCount ?? 0);
const completionOf = new DetailCache((d) => JSON.parse(d) as CompletionDetail);
const cancelRoutineOf = new DetailCache((d) => (JSON.parse(d) as { routine: string | null }).routine);
const highImportance = new DetailCache((d) => (JSON.parse(d) as { importance?: string }).importance === 'HighImportance');
/** detail.threaded of DpcQueued: the DPC went to the threaded queue. */
const threadedQueue = new DetailCache((d) => (JSON.parse(d) as { threaded?: boolean }).threaded === true);

function contextKey(cpu: CpuState): string {
  return cpu.thread === null ? `cpu:${cpu.id}` : `thread:${cpu.thread}`;
}

/** Clears the locations a completion walk has passed: from where it started up to (not including) `upTo`. */
function clearWalked(irp: IrpState, upTo: number): void {
  const end = Math.min(upTo, irp.stackCount + 1);
  const from = irp.walkFrom;
  if (irp.pending.length > 0) irp.pending = irp.pending.filter((l) => l < from || l >= end);
  if (irp.completions.length > 0) irp.completions = irp.completions.filter((c) => c.loc < from || c.loc >= end);
}

function addPending(irp: IrpState, loc: number): void {
  if (loc < 1 || loc > irp.stackCount + 1 || irp.pending.includes(loc)) return;
  irp.pending.push(loc);
  irp.pending.sort((a, b) => a - b);
}

/**
 * The fold that rebuilds the machine from its events: `events.reduce(reduce, initialState(cpus))`.
 *
 * It updates `state` in place and returns it (a replay of millions of events cannot afford a copy
 * per event; take `cloneState` for checkpoints). It reads nothing but the events, so a trace alone
 * is enough to show any point of a run.
 */
export function reduce(state: MachineState, e: TraceEvent): MachineState {
  state.seq = e.seq;
  state.timeNs = e.timeNs;
  const cpu = e.cpu === null ? undefined : state.cpus[e.cpu];
  const irp: IrpState | undefined = e.irp === null ? undefined : state.irps.get(e.irp);
  switch (e.kind) {
    case 'SessionEnded':
      state.ended = e.api;
      break;
    case 'ContextSwitched': {
      if (cpu === undefined) break;
      state.parked.set(contextKey(cpu), { irql: cpu.irql, frames: [...cpu.frames], routines: [...cpu.routines] });
      cpu.thread = e.thread;
      const key = contextKey(cpu);
      const next = state.parked.get(key);
      state.parked.delete(key);
      cpu.frames.length = 0;
      cpu.routines.length = 0;
      if (next !== undefined) {
        cpu.frames.push(...next.frames);
        cpu.routines.push(...next.routines);
      }
      break;
    }
    case 'IrqlRaised':
      if (cpu === undefined) break;
      cpu.frames.push({ raisedTo: e.newIrql, savedOld: e.irql, api: e.api, lock: e.lock });
      cpu.irql = e.newIrql;
      return state;
    case 'IrqlLowered':
      if (cpu === undefined) break;
      popRaiseFrame(cpu.frames, e.api, e.lock, lockOf);
      cpu.irql = e.newIrql;
      return state;
    case 'SpinLockAcquired':
      if (e.cpu !== null) state.locks.set(e.lock, e.cpu);
      break;
    case 'SpinLockReleased':
      state.locks.delete(e.lock);
      break;
    case 'DpcQueued':
      if (e.result === 1 && cpu !== undefined) {
        const queue = e.detail !== null && threadedQueue.get(e.detail) ? cpu.threadedDpcQueue : cpu.dpcQueue;
        if (e.detail !== null && highImportance.get(e.detail)) queue.unshift(e.dpc);
        else queue.push(e.dpc);
      }
      // `cpu` is the target here and `irql` the caller's: no processor's IRQL changes.
      return state;
    case 'DpcDequeued':
      if (e.result === 1) {
        for (const c of state.cpus) {
          const queue = c.dpcQueue.includes(e.dpc) ? c.dpcQueue : c.threadedDpcQueue;
          const i = queue.indexOf(e.dpc);
          if (i >= 0) { queue.splice(i, 1); break; }
        }
      }
      break;
    case 'InterruptRequested':
      return state;
    case 'RoutineEntered':
      if (cpu === undefined) break;
      cpu.routines.push({ activation: e.seq, routine: e.routine, driver: e.driver, kind: e.api });
      if ((e.api === 'Dpc' || e.api === 'ThreadedDpc') && e.dpc !== null) {
        const queue = e.api === 'Dpc' ? cpu.dpcQueue : cpu.threadedDpcQueue;
        const i = queue.indexOf(e.dpc);
        if (i >= 0) queue.splice(i, 1);
      }
      if (e.api === 'Completion' && irp !== undefined && e.loc !== null) {
        irp.loc = e.loc;
        clearWalked(irp, e.loc);
      }
      break;
    case 'RoutineReturned':
      if (cpu !== undefined && cpu.routines.length > 0 && cpu.routines[cpu.routines.length - 1]!.activation === e.activation) cpu.routines.pop();
      if (e.api === 'Completion' && irp !== undefined && e.status === STATUS_MORE_PROCESSING_REQUIRED && irp.phase === 'completing') irp.phase = 'reclaimed';
      break;
    case 'IrpAllocated': {
      const stackCount = stackCountOf.get(e.detail);
      state.irps.set(e.irp, {
        id: e.irp, api: e.api, stackCount, loc: e.loc, phase: 'allocated', device: null, pending: [], completions: [],
        master: e.master, irpCount: 0, cancelRoutine: null, walkFrom: 0,
      });
      break;
    }
    case 'IrpStackLocationChanged':
      if (irp === undefined) break;
      irp.loc = e.loc;
      if (e.api === 'IoCopyCurrentIrpStackLocationToNext') {
        // The next location's Control is cleared: its pending bit and InvokeOn* flags, not its routine.
        const next = e.loc - 1;
        irp.pending = irp.pending.filter((l) => l !== next);
        irp.completions = irp.completions.map((c) => (c.loc === next ? { ...c, onSuccess: false, onError: false, onCancel: false } : c));
      }
      break;
    case 'CompletionRoutineSet': {
      if (irp === undefined) break;
      const d = completionOf.get(e.detail);
      if (d.at < 1 || d.at > irp.stackCount + 1) break;
      irp.pending = irp.pending.filter((l) => l !== d.at);
      irp.completions = irp.completions.filter((c) => c.loc !== d.at);
      irp.completions.push({ loc: d.at, routine: d.routine, onSuccess: d.onSuccess, onError: d.onError, onCancel: d.onCancel });
      irp.completions.sort((a, b) => a.loc - b.loc);
      break;
    }
    case 'IrpCalled':
      if (irp === undefined) break;
      irp.loc = e.loc;
      irp.device = e.device;
      irp.phase = 'dispatched';
      break;
    case 'IrpMarkedPending':
      if (irp === undefined) break;
      if (e.api === 'IoCompleteRequest') {
        irp.loc = e.loc;
        clearWalked(irp, e.loc);
      }
      addPending(irp, e.loc);
      break;
    case 'IrpCompletionRequested':
      if (irp === undefined) break;
      irp.phase = 'completing';
      irp.walkFrom = e.loc;
      break;
    case 'IrpCompleted':
      if (irp === undefined) break;
      clearWalked(irp, e.loc);
      irp.loc = e.loc;
      irp.phase = 'completed';
      break;
    case 'MasterIrpCountChanged': {
      const master = state.irps.get(e.irp as IrpId);
      if (master !== undefined) master.irpCount = e.result;
      break;
    }
    case 'IrpFreed':
      state.irps.delete(e.irp);
      break;
    case 'IrpReused':
      // IoInitializeIrp zeroes everything but the allocation: as Irp.reinitialize.
      if (irp === undefined) break;
      irp.loc = e.loc;
      irp.phase = 'allocated';
      irp.device = null;
      irp.pending = [];
      irp.completions = [];
      irp.master = null;
      irp.irpCount = 0;
      irp.cancelRoutine = null;
      irp.walkFrom = 0;
      break;
    case 'CancelRoutineSet':
      if (irp !== undefined) irp.cancelRoutine = cancelRoutineOf.get(e.detail);
      break;
    case 'IrpCancelled':
      if (irp !== undefined) irp.cancelRoutine = null;
      break;
    default:
      break;
  }
  if (cpu !== undefined && e.irql !== null) cpu.irql = e.irql;
  return state;
}
