import type { KINTERRUPT } from '../wdm/interrupt.js';
import type { Cpu } from './cpu.js';
import { lowerIrql, raiseIrql } from './irql-frames.js';
import type { Machine } from './machine.js';
import { callRoutine, routineName } from './routine-call.js';
import { dropSpinLock, takeSpinLock } from './spin.js';

/**
 * Takes an interrupt on a processor, as KiInterruptDispatch does: raise to SynchronizeIrql, take
 * the interrupt spin lock, run the ISR, release, and lower back to the interrupted level
 * (HalEndSystemInterrupt restores it whatever the ISR left). The caller then delivers any DPCs due.
 */
export async function runInterrupt(m: Machine, cpu: Cpu, interrupt: KINTERRUPT): Promise<void> {
  cpu.clock += m.cost('interruptEntry');
  const old = raiseIrql(m.em, cpu, interrupt.SynchronizeIrql, 'Interrupt');
  const spinning = takeSpinLock(m, cpu, interrupt.SpinLock, 'Interrupt');
  if (spinning !== undefined) await spinning;
  // The ISR's device is the interrupt's owner (the `device` column names it).
  await callRoutine(m, 'Isr', routineName(interrupt.ServiceRoutine), interrupt.driverName ?? 'unknown', interrupt.deviceName, null, null,
    () => interrupt.ServiceRoutine(interrupt, interrupt.ServiceContext));
  dropSpinLock(m, cpu, interrupt.SpinLock, 'Interrupt');
  lowerIrql(m.em, cpu, old, 'Interrupt');
}
