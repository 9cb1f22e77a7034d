import { PASSIVE_LEVEL } from '../constants/irql.js';
import type { Cpu } from './cpu.js';
import { runDequeuedDpc } from './dpc-drain.js';
import type { Machine } from './machine.js';

/**
 * The body of a processor's DPC thread: runs the threaded DPCs queued to that processor, in queue
 * order, at PASSIVE_LEVEL (k:introduction-to-threaded-dpcs). Each DPC is taken off the queue (and so
 * is re-queueable) before its routine runs, as an ordinary DPC is. The thread never ends: with its
 * queue empty it blocks until the next threaded insert readies it.
 *
 * Ordinary DPCs and interrupts preempt it at its routines' kernel calls (its IRQL is below
 * DISPATCH_LEVEL); no thread does (Machine.point skips it). A routine that returns at another IRQL
 * stops the machine (IRQL_UNEXPECTED_VALUE), as for an ordinary DPC: a threaded DPC "must obey all
 * the restrictions of DISPATCH_LEVEL code" and its thread must be left as it was found.
 */
export function dpcThreadBody(m: Machine, cpu: Cpu): () => Promise<void> {
  return async () => {
    for (;;) {
      const queue = cpu.threadedDpcQueue;
      while (queue.length > 0) await runDequeuedDpc(m, cpu, queue.shift()!, 'ThreadedDpc', PASSIVE_LEVEL);
      cpu.dpcThreadIdle = true;
      await m.blockThread('waiting');
    }
  };
}
