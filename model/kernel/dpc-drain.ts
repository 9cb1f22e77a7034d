import type { Irql } from '../brands.js';
import { DISPATCH_LEVEL } from '../constants/irql.js';
import type { KDPC } from '../wdm/dpc.js';
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
  while (cpu.dpcQueue.length > 0) await runDequeuedDpc(m, cpu, cpu.dpcQueue.shift()!, 'Dpc', DISPATCH_LEVEL);
  lowerIrql(m.em, cpu, old, 'DpcDrain');
  cpu.draining = false;
}

/**
 * Runs a DPC just taken off one of the processor's queues: it is re-queueable from now on, its
 * routine gets the arguments it was queued with, and must return at the IRQL it was called at
 * (`expected`) or the machine stops with IRQL_UNEXPECTED_VALUE. Shared by KiRetireDpcList
 * (`drainDpcs`) and the DPC thread (dpc-thread.ts).
 */
export async function runDequeuedDpc(m: Machine, cpu: Cpu, dpc: KDPC, kind: 'Dpc' | 'ThreadedDpc', expected: Irql): Promise<void> {
  dpc.queuedOn = null;
  const routine = dpc.DeferredRoutine;
  const sa1 = dpc.SystemArgument1;
  const sa2 = dpc.SystemArgument2;
  cpu.clock += m.cost('dpcEntry');
  if (routine === null) return;
  await callRoutine(m, kind, dpc.routineName, dpc.driverName ?? 'unknown', dpc.device, sa1 instanceof Irp ? sa1 : null, dpc.Name,
    () => routine(dpc, dpc.DeferredContext, sa1, sa2));
  if (cpu.ctx.irql !== expected) {
    m.bugcheck('IRQL_UNEXPECTED_VALUE', { dpc: dpc.Name, routine: dpc.routineName, irql: cpu.ctx.irql, expected });
  }
}
