import type { SpinLockApi } from '../events/irql.js';
import type { KSPIN_LOCK } from '../wdm/spin-lock.js';
import type { Cpu } from './cpu.js';
import type { Machine } from './machine.js';

/** How long a processor may spin before the DPC watchdog stops the machine (simulated ns). */
const SPIN_WATCHDOG_NS = 100_000_000;

/**
 * Takes a spin lock at the current IRQL (the caller raised it). A lock held by another processor
 * is spun on, letting the others run; one already held by this processor is a deadlock Windows
 * reports as SPIN_LOCK_ALREADY_OWNED.
 */
export function takeSpinLock(m: Machine, cpu: Cpu, lock: KSPIN_LOCK, api: SpinLockApi): void | Promise<void> {
  if (lock.owner === null) {
    grant(m, cpu, lock, api);
    return undefined;
  }
  return spin(m, cpu, lock, api);
}

async function spin(m: Machine, cpu: Cpu, lock: KSPIN_LOCK, api: SpinLockApi): Promise<void> {
  let spun = 0;
  while (lock.owner !== null) {
    if (lock.owner === cpu) m.bugcheck('SPIN_LOCK_ALREADY_OWNED', { lock: lock.Name, cpu: cpu.id });
    if (spun > SPIN_WATCHDOG_NS) m.bugcheck('DPC_WATCHDOG_VIOLATION', { lock: lock.Name, cpu: cpu.id, spunNs: spun });
    const step = m.cost('spinWait');
    spun += step;
    const preempted = m.point(step);
    if (preempted !== undefined) await preempted;
  }
  grant(m, cpu, lock, api);
}

function grant(m: Machine, cpu: Cpu, lock: KSPIN_LOCK, api: SpinLockApi): void {
  lock.owner = cpu;
  m.heldLocks.add(lock);
  m.em.spinLockAcquired(lock.Name, api);
}

/** Releases a spin lock; releasing one this processor does not hold is SPIN_LOCK_NOT_OWNED. */
export function dropSpinLock(m: Machine, cpu: Cpu, lock: KSPIN_LOCK, api: SpinLockApi): void {
  if (lock.owner !== cpu) m.bugcheck('SPIN_LOCK_NOT_OWNED', { lock: lock.Name, cpu: cpu.id, owner: lock.owner?.id ?? null });
  lock.owner = null;
  m.heldLocks.delete(lock);
  m.em.spinLockReleased(lock.Name, api);
}
