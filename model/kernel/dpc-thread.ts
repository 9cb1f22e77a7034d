import { PASSIVE_LEVEL } from '../constants/irql.js';
import { Irp } from '../wdm/irp.js';
import type { Cpu } from './cpu.js';
import type { Machine } from './machine.js';
import { callRoutine } from './routine-call.js';

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
      while (queue.length > 0) {
        const dpc = queue.shift()!;
        dpc.queuedOn = null;
        const routine = dpc.DeferredRoutine;
        const sa1 = dpc.SystemArgument1;
        const sa2 = dpc.SystemArgument2;
        cpu.clock += m.cost('dpcEntry');
        if (routine === null) continue;
        await callRoutine(m, 'ThreadedDpc', dpc.routineName, dpc.driverName ?? 'unknown', dpc.device, sa1 instanceof Irp ? sa1 : null, dpc.Name,
          () => routine(dpc, dpc.DeferredContext, sa1, sa2));
        const irql = m.cpu().ctx.irql;
        if (irql !== PASSIVE_LEVEL) {
          m.bugcheck('IRQL_UNEXPECTED_VALUE', { dpc: dpc.Name, routine: dpc.routineName, irql, expected: PASSIVE_LEVEL });
        }
      }
      cpu.dpcThreadIdle = true;
      await m.blockThread('waiting');
    }
  };
}
