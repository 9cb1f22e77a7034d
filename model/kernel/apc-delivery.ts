import { APC_LEVEL } from '../constants/irql.js';
import type { Cpu } from './cpu.js';
import { lowerIrql, raiseIrql } from './irql-frames.js';
import type { Machine } from './machine.js';
import type { Thread } from './thread.js';

/** Delivers a thread's queued kernel APCs at APC_LEVEL (the I/O manager's completion APC among them). */
export async function runApcs(m: Machine, cpu: Cpu, thread: Thread): Promise<void> {
  const old = raiseIrql(m.em, cpu, APC_LEVEL, 'Apc');
  while (thread.apcQueue.length > 0) {
    const apc = thread.apcQueue.shift()!;
    cpu.clock += m.cost('apc');
    apc();
  }
  lowerIrql(m.em, cpu, old, 'Apc');
}
