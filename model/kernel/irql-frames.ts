import type { Irql } from '../brands.js';
import type { IrqlApi } from '../events/irql.js';
import type { KSPIN_LOCK } from '../wdm/spin-lock.js';
import type { RaiseFrame } from './context.js';
import type { Cpu } from './cpu.js';
import type { Emitter } from './emitter.js';

/** The raise each lowering undoes (the fold in model/reduce.ts applies the same table). */
export const RAISE_OF: Readonly<Record<IrqlApi, readonly IrqlApi[]>> = {
  KeLowerIrql: ['KeRaiseIrql', 'KeRaiseIrqlToDpcLevel', 'KeRaiseIrqlToSynchLevel'],
  KeRaiseIrql: [], KeRaiseIrqlToDpcLevel: [], KeRaiseIrqlToSynchLevel: [], KeAcquireSpinLock: [], IoAcquireCancelSpinLock: [],
  KeReleaseSpinLock: ['KeAcquireSpinLock'],
  KeAcquireSpinLockForDpc: [],
  KeReleaseSpinLockForDpc: ['KeAcquireSpinLockForDpc'],
  IoReleaseCancelSpinLock: ['IoAcquireCancelSpinLock', 'IoCancelIrp'],
  IoCancelIrp: ['IoCancelIrp'],
  Interrupt: ['Interrupt'],
  DpcDrain: ['DpcDrain'],
  Apc: ['Apc'],
  KeInsertQueueDpc: ['KeInsertQueueDpc'],
  KeSynchronizeExecution: ['KeSynchronizeExecution'],
  IoStartPacket: ['IoStartPacket'],
};

/**
 * Lowerings the kernel forces, whatever the code inside left behind: interrupt exit
 * (HalEndSystemInterrupt), the end of a DPC drain, of a kernel APC. Their frame and every frame
 * above it are dropped. Other lowerings drop their own frame only.
 */
export const DISCARDS_ABOVE: ReadonlySet<IrqlApi> = new Set<IrqlApi>(['Interrupt', 'DpcDrain', 'Apc', 'KeSynchronizeExecution', 'IoStartPacket', 'KeInsertQueueDpc']);

/** Index of the frame a lowering undoes, searching from the top; -1 when there is none. */
export function findRaiseFrame<F extends { readonly api: IrqlApi }>(frames: readonly F[], api: IrqlApi, lockName: string | null, lockOf: (frame: F) => string | null): number {
  const raises = RAISE_OF[api];
  for (let i = frames.length - 1; i >= 0; i--) {
    const f = frames[i]!;
    if (raises.includes(f.api) && (lockName === null || lockOf(f) === lockName)) return i;
  }
  return -1;
}

/** Removes the frame a lowering undoes (and, for forced lowerings, every frame above it). */
export function popRaiseFrame<F extends { readonly api: IrqlApi }>(frames: F[], api: IrqlApi, lockName: string | null, lockOf: (frame: F) => string | null): void {
  const i = findRaiseFrame(frames, api, lockName, lockOf);
  if (i < 0) return;
  if (DISCARDS_ABOVE.has(api)) frames.length = i;
  else frames.splice(i, 1);
}

/** Raises the running context's IRQL and records the frame a later lowering undoes. */
export function raiseIrql(em: Emitter, cpu: Cpu, to: Irql, api: IrqlApi, lock: KSPIN_LOCK | null = null): Irql {
  const ctx = cpu.ctx;
  const from = ctx.irql;
  ctx.raiseFrames.push({ raisedTo: to, savedOld: from, api, lock });
  ctx.irql = to;
  em.irqlRaised(from, to, api, lock === null ? null : lock.Name);
  return from;
}

/** Lowers (or, for a bad release, sets) the running context's IRQL, undoing the matching frame. */
export function lowerIrql(em: Emitter, cpu: Cpu, to: Irql, api: IrqlApi, lock: KSPIN_LOCK | null = null): void {
  const ctx = cpu.ctx;
  const from = ctx.irql;
  popRaiseFrame(ctx.raiseFrames, api, lock === null ? null : lock.Name, lockOfFrame);
  ctx.irql = to;
  em.irqlLowered(from, to, api, lock === null ? null : lock.Name);
}

function lockOfFrame(f: RaiseFrame): string | null {
  return f.lock === null ? null : f.lock.Name;
}
