import type { IrpId } from '../brands.js';
import { SL_INVOKE_ON_CANCEL, SL_INVOKE_ON_ERROR, SL_INVOKE_ON_SUCCESS, SL_PENDING_RETURNED } from '../constants/irp.js';
import type { CompletionState, ContextState, IrpPhaseState, IrpState, MachineState, RaiseFrameState, RoutineState } from '../state.js';
import type { Irp } from '../wdm/irp.js';
import type { ExecContext } from './context.js';
import type { Machine } from './machine.js';
import { routineName } from './routine-call.js';

function frames(ctx: ExecContext): RaiseFrameState[] {
  return ctx.raiseFrames.map((f) => ({ raisedTo: f.raisedTo, savedOld: f.savedOld, api: f.api, lock: f.lock === null ? null : f.lock.Name }));
}

function routines(ctx: ExecContext): RoutineState[] {
  return ctx.routines.map((r) => ({ activation: r.activation, routine: r.routine, driver: r.driver, kind: r.kind }));
}

function context(ctx: ExecContext): ContextState {
  return { irql: ctx.irql, frames: frames(ctx), routines: routines(ctx) };
}

function irpState(irp: Irp): IrpState {
  const pending: number[] = [];
  const completions: CompletionState[] = [];
  irp.stack.forEach((l, i) => {
    const loc = i + 1;
    if ((l.Control & SL_PENDING_RETURNED) !== 0) pending.push(loc);
    if (l.CompletionRoutine !== null) {
      completions.push({
        loc, routine: routineName(l.CompletionRoutine),
        onSuccess: (l.Control & SL_INVOKE_ON_SUCCESS) !== 0, onError: (l.Control & SL_INVOKE_ON_ERROR) !== 0, onCancel: (l.Control & SL_INVOKE_ON_CANCEL) !== 0,
      });
    }
  });
  return {
    id: irp.id, api: irp.api, stackCount: irp.StackCount, loc: irp.currentLocation, phase: irp.phase as IrpPhaseState,
    device: irp.lastDevice === null ? null : irp.lastDevice.Name, pending, completions,
    master: irp.associated.MasterIrp === null ? null : irp.associated.MasterIrp.id, irpCount: irp.associated.irpCount,
    cancelRoutine: irp.cancelRoutine === null ? null : routineName(irp.cancelRoutine), walkFrom: 0,
  };
}

/** The simulator's own state, in the shape `reduce` rebuilds from events. */
export function snapshotMachine(m: Machine): MachineState {
  const irps = new Map<IrpId, IrpState>();
  for (const irp of m.irps.values()) irps.set(irp.id, irpState(irp));
  const locks = new Map<string, number>();
  for (const lock of m.heldLocks) if (lock.owner !== null) locks.set(lock.Name, lock.owner.id);
  const parked = new Map<string, ContextState>();
  for (const thread of m.threads) if (thread.cpu === null) parked.set(`thread:${thread.id}`, context(thread.ctx));
  for (const cpu of m.cpus) if (cpu.ctx !== cpu.idleCtx) parked.set(`cpu:${cpu.id}`, context(cpu.idleCtx));
  return {
    seq: m.em.count - 1, timeNs: m.em.lastTime, ended: m.end?.reason ?? null,
    cpus: m.cpus.map((c) => ({ id: c.id, thread: c.ctx.thread === null ? null : c.ctx.thread.id, ...context(c.ctx), dpcQueue: c.dpcQueue.map((d) => d.Name), threadedDpcQueue: c.threadedDpcQueue.map((d) => d.Name) })),
    irps, locks, parked,
  };
}
