import { describe, expect, it } from 'vitest';
import {
  DISPATCH_LEVEL, IO_NO_INCREMENT, STATUS_SUCCESS, type KDPC, type KDPC_IMPORTANCE, type Kernel, type Simulation,
} from '../../model/index.js';
import {
  activations, finish, firstOf, hardwareDriver, inside, ofKind, parseDetail, runDispatch, runScenario, testScenario,
  activationNamed,
} from './helpers.js';

/** A DPC object with a named routine that records its arguments. */
function makeDpc(k: Kernel, name: string, log: unknown[][], body?: (k: Kernel, Dpc: KDPC) => Promise<void>): KDPC {
  const dpc = k.KDPC(name);
  async function TestDeferredRoutine(Dpc: KDPC, DeferredContext: unknown, SystemArgument1: unknown, SystemArgument2: unknown): Promise<void> {
    log.push([Dpc.Name, DeferredContext, SystemArgument1, SystemArgument2, k.KeGetCurrentIrql()]);
    if (body) await body(k, Dpc);
  }
  k.KeInitializeDpc(dpc, TestDeferredRoutine, `${name}.ctx`);
  return dpc;
}

describe('IoRequestDpc and the DpcForIsr', () => {
  it('IoRequestDpc from the ISR queues the DpcForIsr, which runs at DISPATCH_LEVEL on that CPU once the IRQL drops below DISPATCH_LEVEL (k:registering-and-queuing-a-dpcforisr-routine; ROS:dpc.c#KiRetireDpcList)', async () => {
    const dpcIrql: number[] = [];
    const scenario = testScenario({
      stack: ['hw'],
      drivers: (k) => [hardwareDriver(k, 'hw', {
        async dpcForIsr(k2, _Dpc, DeviceObject, Irp) {
          dpcIrql.push(k2.KeGetCurrentIrql());
          Irp.IoStatus.Status = STATUS_SUCCESS;
          await k2.IoStartNextPacket(DeviceObject, false);
          await k2.IoCompleteRequest(Irp, IO_NO_INCREMENT);
        },
      })],
    });
    const r = await runScenario(scenario, { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    expect(dpcIrql).toEqual([DISPATCH_LEVEL]);
    const isr = activations(r.events, (e) => e.api === 'Isr')[0]!;
    const queued = firstOf(r.events, 'DpcQueued');
    expect(queued.api).toBe('IoRequestDpc');
    expect(queued.result).toBe(1);
    expect(queued.activation).toBe(isr.entered.seq);
    expect(queued.dpc).toBe('dev0.hw.Dpc');
    expect(queued.device).toBe('dev0.hw');
    const request = firstOf(r.events, 'RequestIssued');
    expect(queued.irp).toBe(request.irp);
    expect(queued.cpu).toBe(isr.entered.cpu); // default target: the inserting processor
    const dpc = activations(r.events, (e) => e.api === 'Dpc')[0]!;
    expect(dpc.entered.seq).toBeGreaterThan(isr.returned!.seq);
    expect(dpc.entered.irql).toBe(DISPATCH_LEVEL);
    expect(dpc.entered.cpu).toBe(isr.entered.cpu);
    expect(dpc.entered.irp).toBe(request.irp);
    expect(dpc.entered.dpc).toBe('dev0.hw.Dpc');
    // Between the ISR's return and the DPC: interrupt exit lowers below DISPATCH, then the drain raises to it.
    const between = r.events.slice(isr.returned!.seq + 1, dpc.entered.seq).filter((e) => e.kind === 'IrqlLowered' || e.kind === 'IrqlRaised');
    expect(between.map((e) => [e.kind, e.api, e.irql, e.newIrql])).toEqual([
      ['IrqlLowered', 'Interrupt', 7, 0],
      ['IrqlRaised', 'DpcDrain', 0, 2],
    ]);
    expect(dpc.returned!.irql).toBe(DISPATCH_LEVEL);
  });

  it('the DpcForIsr gets (Dpc = DeviceObject->Dpc, DeviceObject, Irp, Context) as passed to IoRequestDpc (ddi:nf-wdm-iorequestdpc parameters; ROS:iofuncs.h IoRequestDpc = KeInsertQueueDpc(&DO->Dpc, Irp, Ctx))', async () => {
    const context = { tag: 'ctx' };
    const seen: unknown[] = [];
    const scenario = testScenario({
      stack: ['hw'],
      drivers: (k) => [hardwareDriver(k, 'hw', {
        async isr(k2, _Interrupt, DeviceObject) {
          seen.push(DeviceObject.CurrentIrp);
          await k2.IoRequestDpc(DeviceObject, DeviceObject.CurrentIrp, context);
          return true;
        },
        async dpcForIsr(k2, Dpc, DeviceObject, Irp, Context) {
          seen.push(Dpc === DeviceObject.Dpc, DeviceObject.Name, Irp, Context);
          Irp.IoStatus.Status = STATUS_SUCCESS;
          await k2.IoStartNextPacket(DeviceObject, false);
          await k2.IoCompleteRequest(Irp, IO_NO_INCREMENT);
        },
      })],
    });
    const r = await runScenario(scenario, { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    expect(seen).toHaveLength(5);
    const [isrIrp, sameDpc, name, dpcIrp, ctx] = seen;
    expect(isrIrp).not.toBeNull();
    expect(sameDpc).toBe(true);
    expect(name).toBe('dev0.hw');
    expect(dpcIrp).toBe(isrIrp);
    expect(ctx).toBe(context);
  });

  it('a second IoRequestDpc while the DPC is still queued returns without queueing: result 0, its Irp/Context dropped, one DpcForIsr run (k:registering-and-queuing-a-dpcforisr-routine "no one-to-one correspondence"; ddi:nf-wdm-keinsertqueuedpc)', async () => {
    const contexts: unknown[] = [];
    const scenario = testScenario({
      stack: ['hw'],
      drivers: (k) => [hardwareDriver(k, 'hw', {
        async isr(k2, _Interrupt, DeviceObject) {
          await k2.IoRequestDpc(DeviceObject, DeviceObject.CurrentIrp, 'first');
          await k2.IoRequestDpc(DeviceObject, null, 'second');
          return true;
        },
        async dpcForIsr(k2, _Dpc, DeviceObject, Irp, Context) {
          contexts.push(Context);
          Irp.IoStatus.Status = STATUS_SUCCESS;
          await k2.IoStartNextPacket(DeviceObject, false);
          await k2.IoCompleteRequest(Irp, IO_NO_INCREMENT);
        },
      })],
    });
    const r = await runScenario(scenario, { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    expect(ofKind(r.events, 'DpcQueued').map((e) => e.result)).toEqual([1, 0]);
    expect(contexts).toEqual(['first']);
    expect(ofKind(r.events, 'RoutineEntered', (e) => e.api === 'Dpc')).toHaveLength(1);
  });
});

describe('KeInsertQueueDpc / KeRemoveQueueDpc', () => {
  it('KeInsertQueueDpc of an already-queued DPC returns FALSE, records result 0 and drops the new arguments (ddi:nf-wdm-keinsertqueuedpc "no operation is performed except to return FALSE"; ROS:dpc.c#KeInsertQueueDpc)', async () => {
    const log: unknown[][] = [];
    const results: boolean[] = [];
    const r = await runDispatch(async (k, _d, irp) => {
      const dpc = makeDpc(k, 'D', log);
      const old = await k.KeRaiseIrql(DISPATCH_LEVEL);
      results.push(await k.KeInsertQueueDpc(dpc, 'a1', 'a2'));
      results.push(await k.KeInsertQueueDpc(dpc, 'b1', 'b2'));
      await k.KeLowerIrql(old);
      return finish(k, irp);
    });
    expect(r.summary.endReason).toBe('completed');
    expect(results).toEqual([true, false]);
    expect(log).toEqual([['D', 'D.ctx', 'a1', 'a2', DISPATCH_LEVEL]]);
    const queued = ofKind(r.events, 'DpcQueued');
    expect(queued.map((e) => [e.api, e.dpc, e.result])).toEqual([['KeInsertQueueDpc', 'D', 1], ['KeInsertQueueDpc', 'D', 0]]);
  });

  it('a refused KeInsertQueueDpc names the processor whose queue holds the DPC, not the target it would pick now (trace-format.md DpcQueued; ROS:dpc.c#KeInsertQueueDpc inserts nothing)', async () => {
    const r = await runDispatch(async (k, _d, irp) => {
      const dpc = makeDpc(k, 'D', []);
      const old = await k.KeRaiseIrql(DISPATCH_LEVEL);
      k.KeSetTargetProcessorDpc(dpc, 1);
      await k.KeInsertQueueDpc(dpc, null, null);
      k.KeSetTargetProcessorDpc(dpc, 0);
      await k.KeInsertQueueDpc(dpc, null, null);
      await k.KeLowerIrql(old);
      return finish(k, irp);
    }, { cpus: 2 });
    expect(r.summary.endReason).toBe('completed');
    expect(ofKind(r.events, 'DpcQueued').map((e) => [e.result, e.cpu])).toEqual([[1, 1], [0, 1]]);
  });

  it('KeInsertQueueDpc raises to HIGH_LEVEL around the insertion and restores the caller\'s IRQL (windows-semantics §2 insert order; ROS:dpc.c#KeInsertQueueDpc)', async () => {
    const r = await runDispatch(async (k, _d, irp) => {
      const dpc = makeDpc(k, 'D', []);
      const old = await k.KeRaiseIrql(DISPATCH_LEVEL);
      await k.KeInsertQueueDpc(dpc, null, null);
      await k.KeLowerIrql(old);
      return finish(k, irp);
    });
    const raised = firstOf(r.events, 'IrqlRaised', (e) => e.api === 'KeInsertQueueDpc');
    const lowered = firstOf(r.events, 'IrqlLowered', (e) => e.api === 'KeInsertQueueDpc');
    const queued = firstOf(r.events, 'DpcQueued');
    expect([raised.irql, raised.newIrql]).toEqual([2, 15]);
    expect([lowered.irql, lowered.newIrql]).toEqual([15, 2]);
    expect(raised.seq).toBeLessThan(queued.seq);
    expect(queued.seq).toBeLessThan(lowered.seq);
  });

  it('a DPC queued while the CPU is at DISPATCH_LEVEL runs when the IRQL falls below DISPATCH_LEVEL, not before (k:registering-and-queuing-a-dpcforisr-routine "When IRQL falls below DISPATCH_LEVEL")', async () => {
    const r = await runDispatch(async (k, _d, irp) => {
      const dpc = makeDpc(k, 'D', []);
      const old = await k.KeRaiseIrql(DISPATCH_LEVEL);
      await k.KeInsertQueueDpc(dpc, null, null);
      await k.KeStallExecutionProcessor(30);
      await k.KeLowerIrql(old);
      return finish(k, irp);
    });
    const lower = firstOf(r.events, 'IrqlLowered', (e) => e.api === 'KeLowerIrql');
    const dpc = activations(r.events, (e) => e.api === 'Dpc')[0]!;
    const dispatch = activationNamed(r.events, 'TestDispatchRead');
    expect(dpc.entered.seq).toBeGreaterThan(lower.seq);
    // It preempts the thread right there: inside the dispatch routine, before its completion call.
    expect(dpc.returned!.seq).toBeLessThan(firstOf(r.events, 'IrpCompletionRequested').seq);
    expect(inside(r.events, dispatch)).toContain(dpc.entered);
  });

  it('HighImportance inserts at the head of the queue, others at the tail (ddi:nf-wdm-kesetimportancedpc; ROS:dpc.c#KeInsertQueueDpc InsertHeadList)', async () => {
    const log: unknown[][] = [];
    let sim: Simulation | null = null;
    let queueAtInsert: string[] = [];
    const r = await runDispatch(async (k, _d, irp) => {
      const dpcs: [string, KDPC_IMPORTANCE][] = [['M1', 'MediumImportance'], ['M2', 'MediumImportance'], ['H', 'HighImportance'], ['L', 'LowImportance']];
      const old = await k.KeRaiseIrql(DISPATCH_LEVEL);
      for (const [name, importance] of dpcs) {
        const dpc = makeDpc(k, name, log);
        k.KeSetImportanceDpc(dpc, importance);
        await k.KeInsertQueueDpc(dpc, null, null);
      }
      queueAtInsert = sim!.snapshot().cpus[k.KeGetCurrentProcessorNumber()]!.dpcQueue;
      await k.KeLowerIrql(old);
      return finish(k, irp);
    }, {}, (s) => { sim = s; });
    expect(r.summary.endReason).toBe('completed');
    expect(queueAtInsert).toEqual(['H', 'M1', 'M2', 'L']);
    expect(log.map((l) => l[0])).toEqual(['H', 'M1', 'M2', 'L']);
    expect(ofKind(r.events, 'DpcQueued').map((e) => parseDetail<{ importance: string }>(e).importance)).toEqual(['MediumImportance', 'MediumImportance', 'HighImportance', 'LowImportance']);
  });

  it('KeRemoveQueueDpc takes a queued DPC off its queue (TRUE, result 1) so it never runs; on a DPC not queued it returns FALSE (ddi:nf-wdm-keremovequeuedpc)', async () => {
    const log: unknown[][] = [];
    const results: boolean[] = [];
    const r = await runDispatch(async (k, _d, irp) => {
      const dpc = makeDpc(k, 'D', log);
      const old = await k.KeRaiseIrql(DISPATCH_LEVEL);
      await k.KeInsertQueueDpc(dpc, null, null);
      results.push(await k.KeRemoveQueueDpc(dpc));
      results.push(await k.KeRemoveQueueDpc(dpc));
      await k.KeLowerIrql(old);
      return finish(k, irp);
    });
    expect(r.summary.endReason).toBe('completed');
    expect(results).toEqual([true, false]);
    expect(log).toEqual([]);
    expect(ofKind(r.events, 'DpcDequeued').map((e) => [e.dpc, e.result, e.api])).toEqual([['D', 1, 'KeRemoveQueueDpc'], ['D', 0, 'KeRemoveQueueDpc']]);
    expect(ofKind(r.events, 'RoutineEntered', (e) => e.api === 'Dpc')).toHaveLength(0);
  });

  it('a DPC is re-queueable from the moment it is dequeued: re-inserted from its own routine it returns TRUE and runs again, after the current run (ROS:dpc.c#KiRetireDpcList "DpcData = NULL"; windows-semantics §2 Draining)', async () => {
    const log: unknown[][] = [];
    const inserts: boolean[] = [];
    let runs = 0;
    const r = await runDispatch(async (k, _d, irp) => {
      const dpc = makeDpc(k, 'D', log, async (k2, self) => {
        if (++runs === 1) inserts.push(await k2.KeInsertQueueDpc(self, 'again', null));
      });
      const old = await k.KeRaiseIrql(DISPATCH_LEVEL);
      await k.KeInsertQueueDpc(dpc, 'first', null);
      await k.KeLowerIrql(old);
      return finish(k, irp);
    });
    expect(r.summary.endReason).toBe('completed');
    expect(inserts).toEqual([true]);
    expect(log.map((l) => l[2])).toEqual(['first', 'again']);
    const runsOf = activations(r.events, (e) => e.api === 'Dpc');
    expect(runsOf).toHaveLength(2);
    // DPCs on one CPU do not preempt each other: the second run starts after the first returned.
    expect(runsOf[1]!.entered.seq).toBeGreaterThan(runsOf[0]!.returned!.seq);
  });

  it('a HighImportance DPC queued from a running DPC does not preempt it (windows-semantics §2: DPCs on one CPU run in queue order and do not preempt each other)', async () => {
    const log: unknown[][] = [];
    const r = await runDispatch(async (k, _d, irp) => {
      const inner = makeDpc(k, 'Inner', log);
      k.KeSetImportanceDpc(inner, 'HighImportance');
      const outer = makeDpc(k, 'Outer', log, async (k2) => {
        await k2.KeInsertQueueDpc(inner, null, null);
        await k2.KeStallExecutionProcessor(5);
        log.push(['Outer done']);
      });
      const old = await k.KeRaiseIrql(DISPATCH_LEVEL);
      await k.KeInsertQueueDpc(outer, null, null);
      await k.KeLowerIrql(old);
      return finish(k, irp);
    });
    expect(r.summary.endReason).toBe('completed');
    expect(log.map((l) => l[0])).toEqual(['Outer', 'Outer done', 'Inner']);
  });

  it('KeSetTargetProcessorDpc: the DPC goes to that processor\'s queue (DpcQueued cpu = target, detail.from = inserting CPU) and runs there (k:organization-of-dpc-queues; ddi:nf-wdm-kesettargetprocessordpc)', async () => {
    const log: unknown[][] = [];
    let insertedOn = -1;
    const r = await runDispatch(async (k, _d, irp) => {
      insertedOn = k.KeGetCurrentProcessorNumber();
      const dpc = makeDpc(k, 'T', log);
      k.KeSetTargetProcessorDpc(dpc, insertedOn === 0 ? 1 : 0);
      k.KeSetImportanceDpc(dpc, 'HighImportance');
      await k.KeInsertQueueDpc(dpc, null, null);
      await k.KeStallExecutionProcessor(50);
      return finish(k, irp);
    }, { cpus: 2 });
    expect(r.summary.endReason).toBe('completed');
    const target = insertedOn === 0 ? 1 : 0;
    const queued = firstOf(r.events, 'DpcQueued');
    expect(queued.cpu).toBe(target);
    expect(parseDetail<{ from: number }>(queued).from).toBe(insertedOn);
    const run = firstOf(r.events, 'RoutineEntered', (e) => e.api === 'Dpc');
    expect(run.cpu).toBe(target);
    expect(run.irql).toBe(DISPATCH_LEVEL);
    expect(log).toHaveLength(1);
  });

  it('a LowImportance DPC on the inserting CPU does not request the DPC interrupt: it waits until the CPU has nothing else to run (ROS:dpc.c#KeInsertQueueDpc; k:organization-of-dpc-queues)', async () => {
    const log: unknown[][] = [];
    const r = await runDispatch(async (k, _d, irp) => {
      const dpc = makeDpc(k, 'Low', log);
      k.KeSetImportanceDpc(dpc, 'LowImportance');
      const old = await k.KeRaiseIrql(DISPATCH_LEVEL);
      await k.KeInsertQueueDpc(dpc, null, null);
      await k.KeLowerIrql(old);
      await k.KeStallExecutionProcessor(20);
      return finish(k, irp);
    });
    expect(r.summary.endReason).toBe('completed');
    expect(log).toHaveLength(1);
    const dispatch = activationNamed(r.events, 'TestDispatchRead');
    expect(firstOf(r.events, 'RoutineEntered', (e) => e.api === 'Dpc').seq).toBeGreaterThan(dispatch.returned!.seq);
  });

  it('LowImportance DPCs are drained at once when the queue reaches MaximumDpcQueueDepth (4) (ROS:dpc.c#KeInsertQueueDpc "depth >= MaximumDpcQueueDepth")', async () => {
    const log: unknown[][] = [];
    const r = await runDispatch(async (k, _d, irp) => {
      const old = await k.KeRaiseIrql(DISPATCH_LEVEL);
      for (const name of ['L1', 'L2', 'L3', 'L4']) {
        const dpc = makeDpc(k, name, log);
        k.KeSetImportanceDpc(dpc, 'LowImportance');
        await k.KeInsertQueueDpc(dpc, null, null);
      }
      await k.KeLowerIrql(old);
      log.push(['lowered']);
      return finish(k, irp);
    });
    expect(r.summary.endReason).toBe('completed');
    expect(log.map((l) => l[0])).toEqual(['L1', 'L2', 'L3', 'L4', 'lowered']);
  });

  it('a DPC routine that returns at an IRQL other than DISPATCH_LEVEL bug-checks IRQL_UNEXPECTED_VALUE (ROS:dpc.c#KiRetireDpcList ASSERT; windows-semantics §4 rule 4)', async () => {
    const r = await runDispatch(async (k, _d, irp) => {
      const dpc = makeDpc(k, 'Bad', [], async (k2) => {
        await k2.KeRaiseIrql(9);
      });
      await k.KeInsertQueueDpc(dpc, null, null);
      return finish(k, irp);
    });
    expect(r.summary.endReason).toBe('bugcheck');
    expect(r.summary.bugcheck?.name).toBe('IRQL_UNEXPECTED_VALUE');
    expect(r.summary.bugcheck?.code).toBe(0xc8);
    const dpcRun = activations(r.events, (e) => e.api === 'Dpc')[0]!;
    const bug = firstOf(r.events, 'Bugcheck');
    expect(bug.seq).toBeGreaterThan(dpcRun.returned!.seq);
    expect(bug.irql).toBe(9);
  });

  it('KeInsertQueueDpc works at any IRQL >= DISPATCH_LEVEL, e.g. HIGH_LEVEL (ddi:nf-wdm-iorequestdpc "queue a DPC at any IRQL >= DISPATCH_LEVEL by using the KeXxxDpc routines")', async () => {
    const log: unknown[][] = [];
    const r = await runDispatch(async (k, _d, irp) => {
      const dpc = makeDpc(k, 'D', log);
      const old = await k.KeRaiseIrql(15);
      await k.KeInsertQueueDpc(dpc, 'x', null);
      await k.KeLowerIrql(old);
      return finish(k, irp);
    });
    expect(r.summary.endReason).toBe('completed');
    expect(log).toEqual([['D', 'D.ctx', 'x', null, DISPATCH_LEVEL]]);
    expect(firstOf(r.events, 'DpcQueued').result).toBe(1);
  });
});
