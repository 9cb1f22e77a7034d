import type { Irql } from '../../brands.js';
import { DISPATCH_LEVEL, HIGH_LEVEL } from '../../constants/irql.js';
import { KSPIN_LOCK } from '../../wdm/spin-lock.js';
import { lowerIrql, RAISE_OF, raiseIrql } from '../irql-frames.js';
import type { Machine } from '../machine.js';
import { dropSpinLock, takeSpinLock } from '../spin.js';
import { afterPoint } from './after-point.js';

/** KeRaiseIrql(NewIrql, &OldIrql): returns OldIrql. Raising to a lower level stops the machine. */
export function KeRaiseIrql(m: Machine, NewIrql: Irql, api: 'KeRaiseIrql' | 'KeRaiseIrqlToDpcLevel' | 'KeRaiseIrqlToSynchLevel' = 'KeRaiseIrql'): Irql | Promise<Irql> {
  const cpu = m.enter(api);
  const current = cpu.ctx.irql;
  if (NewIrql < current || NewIrql > HIGH_LEVEL) m.bugcheck('IRQL_NOT_GREATER_OR_EQUAL', { current, requested: NewIrql });
  const old = raiseIrql(m.em, cpu, NewIrql, api);
  return afterPoint(m.point(m.cost('irql')), old);
}

/**
 * KeLowerIrql(NewIrql). NewIrql must be what the immediately preceding KeRaiseIrql returned: any
 * other value is a fatal error (ddi:nf-wdm-kelowerirql), and so is lowering to a higher level.
 */
export function KeLowerIrql(m: Machine, NewIrql: Irql): void | Promise<void> {
  const cpu = m.enter('KeLowerIrql');
  const current = cpu.ctx.irql;
  if (NewIrql > current) m.bugcheck('IRQL_NOT_LESS_OR_EQUAL', { current, requested: NewIrql, api: 'KeLowerIrql' });
  const top = cpu.ctx.raiseFrames[cpu.ctx.raiseFrames.length - 1];
  if (top === undefined || !RAISE_OF.KeLowerIrql.includes(top.api) || top.savedOld !== NewIrql) {
    m.bugcheck('IRQL_UNEXPECTED_VALUE', { current, requested: NewIrql, expected: top?.savedOld ?? null, lastRaise: top?.api ?? null });
  }
  lowerIrql(m.em, cpu, NewIrql, 'KeLowerIrql');
  return m.point(m.cost('irql'));
}

export function KeInitializeSpinLock(name: string): KSPIN_LOCK {
  return new KSPIN_LOCK(name);
}

/** KeAcquireSpinLock(SpinLock, &OldIrql): raise to DISPATCH_LEVEL, then take the lock; returns OldIrql. */
export async function KeAcquireSpinLock(m: Machine, SpinLock: KSPIN_LOCK): Promise<Irql> {
  const cpu = m.enter('KeAcquireSpinLock');
  const current = cpu.ctx.irql;
  if (current > DISPATCH_LEVEL) m.bugcheck('IRQL_NOT_GREATER_OR_EQUAL', { current, requested: DISPATCH_LEVEL, api: 'KeAcquireSpinLock' });
  const old = raiseIrql(m.em, cpu, DISPATCH_LEVEL, 'KeAcquireSpinLock', SpinLock);
  const spinning = takeSpinLock(m, cpu, SpinLock, 'KeAcquireSpinLock');
  if (spinning !== undefined) await spinning;
  const preempted = m.point(m.cost('spinLock'));
  if (preempted !== undefined) await preempted;
  return old;
}

/** KeReleaseSpinLock(SpinLock, NewIrql): release, then set IRQL to NewIrql (the acquire's OldIrql). */
export function KeReleaseSpinLock(m: Machine, SpinLock: KSPIN_LOCK, NewIrql: Irql): void | Promise<void> {
  const cpu = m.enter('KeReleaseSpinLock');
  dropSpinLock(m, cpu, SpinLock, 'KeReleaseSpinLock');
  if (NewIrql > cpu.ctx.irql) m.bugcheck('IRQL_NOT_LESS_OR_EQUAL', { current: cpu.ctx.irql, requested: NewIrql, api: 'KeReleaseSpinLock' });
  lowerIrql(m.em, cpu, NewIrql, 'KeReleaseSpinLock', SpinLock);
  return m.point(m.cost('spinLock'));
}

/** KeAcquireSpinLockAtDpcLevel: the caller is already at DISPATCH_LEVEL; no IRQL change. */
export async function KeAcquireSpinLockAtDpcLevel(m: Machine, SpinLock: KSPIN_LOCK): Promise<void> {
  const cpu = m.enter('KeAcquireSpinLockAtDpcLevel');
  const spinning = takeSpinLock(m, cpu, SpinLock, 'KeAcquireSpinLockAtDpcLevel');
  if (spinning !== undefined) await spinning;
  const preempted = m.point(m.cost('spinLock'));
  if (preempted !== undefined) await preempted;
}

export function KeReleaseSpinLockFromDpcLevel(m: Machine, SpinLock: KSPIN_LOCK): void | Promise<void> {
  const cpu = m.enter('KeReleaseSpinLockFromDpcLevel');
  dropSpinLock(m, cpu, SpinLock, 'KeReleaseSpinLockFromDpcLevel');
  return m.point(m.cost('spinLock'));
}

/**
 * KeAcquireSpinLockForDpc(SpinLock), for a CustomThreadedDpc: at PASSIVE_LEVEL (a threaded DPC) it
 * raises to DISPATCH_LEVEL as KeAcquireSpinLock does; at DISPATCH_LEVEL (threaded DPCs disabled)
 * it leaves the IRQL alone. Returns the IRQL it was called at, for KeReleaseSpinLockForDpc
 * (ddi:nf-wdm-keacquirespinlockfordpc; k:synchronization-and-threaded-dpcs).
 */
export async function KeAcquireSpinLockForDpc(m: Machine, SpinLock: KSPIN_LOCK): Promise<Irql> {
  const cpu = m.enter('KeAcquireSpinLockForDpc');
  const current = cpu.ctx.irql;
  if (current > DISPATCH_LEVEL) m.bugcheck('IRQL_NOT_GREATER_OR_EQUAL', { current, requested: DISPATCH_LEVEL, api: 'KeAcquireSpinLockForDpc' });
  if (current < DISPATCH_LEVEL) raiseIrql(m.em, cpu, DISPATCH_LEVEL, 'KeAcquireSpinLockForDpc', SpinLock);
  const spinning = takeSpinLock(m, cpu, SpinLock, 'KeAcquireSpinLockForDpc');
  if (spinning !== undefined) await spinning;
  const preempted = m.point(m.cost('spinLock'));
  if (preempted !== undefined) await preempted;
  return current;
}

/**
 * KeReleaseSpinLockForDpc(SpinLock, OldIrql): releases, then lowers to OldIrql unless OldIrql is
 * DISPATCH_LEVEL (the acquire did not raise) (ddi:nf-wdm-kereleasespinlockfordpc).
 */
export function KeReleaseSpinLockForDpc(m: Machine, SpinLock: KSPIN_LOCK, OldIrql: Irql): void | Promise<void> {
  const cpu = m.enter('KeReleaseSpinLockForDpc');
  dropSpinLock(m, cpu, SpinLock, 'KeReleaseSpinLockForDpc');
  if (OldIrql > cpu.ctx.irql) m.bugcheck('IRQL_NOT_LESS_OR_EQUAL', { current: cpu.ctx.irql, requested: OldIrql, api: 'KeReleaseSpinLockForDpc' });
  if (OldIrql !== DISPATCH_LEVEL) lowerIrql(m.em, cpu, OldIrql, 'KeReleaseSpinLockForDpc', SpinLock);
  return m.point(m.cost('spinLock'));
}

/** KeStallExecutionProcessor(MicroSeconds): busy-waits, advancing this processor's clock. */
export function KeStallExecutionProcessor(m: Machine, MicroSeconds: number): void | Promise<void> {
  m.enter('KeStallExecutionProcessor');
  return m.point(Math.max(0, Math.round(MicroSeconds * 1000)));
}
