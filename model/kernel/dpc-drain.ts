import { DISPATCH_LEVEL } from '../constants/irql.js';
import { Irp } from '../wdm/irp.js';
import type { Cpu } from './cpu.js';
import { lowerIrql, raiseIrql } from './irql-frames.js';
import type { Machine } from './machine.js';
import { callRoutine } from './routine-call.js';

/**
 * KiRetireDpcList: at DISPATCH_LEVEL, run the processor's queued DPCs in queue order. Each DPC is
 * taken off the queue (and so is re-queueable) before its routine runs; DPCs queued meanwhile run in
 * the same drain. A routine that returns at another IRQL stops the machine (IRQL_UNEXPECTED_VALUE).
 */
export async function drainDpcs(m: Machine, cpu: Cpu): Promise<void> {
  cpu.draining = true;
  cpu.dpcRequested = false;
  const old = raiseIrql(m.em, cpu, DISPATCH_LEVEL, 'DpcDrain');
  while (cpu.dpcQueue.length > 0) {
    const dpc = cpu.dpcQueue.shift()!;
    dpc.queuedOn = null;
    const routine = dpc.DeferredRoutine;
    const sa1 = dpc.SystemArgument1;
    const sa2 = dpc.SystemArgument2;
    cpu.clock += m.cost('dpcEntry');
    if (routine === null) continue;
    await callRoutine(m, 'Dpc', dpc.routineName, dpc.driverName ?? 'unknown', dpc.device, sa1 instanceof Irp ? sa1 : null, dpc.Name,
      () => routine(dpc, dpc.DeferredContext, sa1, sa2));
    if (cpu.ctx.irql !== DISPATCH_LEVEL) {
      m.bugcheck('IRQL_UNEXPECTED_VALUE', { dpc: dpc.Name, routine: dpc.routineName, irql: cpu.ctx.irql, expected: DISPATCH_LEVEL });
    }
  }
  lowerIrql(m.em, cpu, old, 'DpcDrain');
  cpu.draining = false;
}
