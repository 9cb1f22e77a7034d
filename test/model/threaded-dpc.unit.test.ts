// Threaded DPCs (KeInitializeThreadedDpc): run at PASSIVE_LEVEL by the processor's DPC thread,
// preemptible by ordinary DPCs but not by threads, ordinary DPCs when ThreadDpcEnable is 0.
// Sources: k:introduction-to-threaded-dpcs (learn.microsoft.com/windows-hardware/drivers/kernel/threaded-dpcs),
// ddi:nf-wdm-keinitializethreadeddpc, windows-semantics.md §2.
import { describe, expect, it } from 'vitest';
import {
  DISPATCH_LEVEL, IRP_MJ_READ, PASSIVE_LEVEL, type IoRequest, type Irp, type KDPC, type Kernel, type NtStatus, type Simulation,
} from '../../model/index.js';
import {
  activationNamed, activations, finish, firstOf, ofKind, parseDetail, runScenario, testDriver, testScenario, type RunResult, type TestDevice,
} from './helpers.js';

interface RunOptions {
  readonly threadDpcEnable?: boolean;
  readonly cpus?: number;
  readonly requesters?: number;
  readonly requests?: readonly IoRequest[];
}

/** One driver whose READ dispatch routine is `body`, on one CPU. */
function runWith(body: (k: Kernel, DeviceObject: TestDevice, Irp: Irp) => Promise<NtStatus>, options: RunOptions = {}, hook?: (sim: Simulation) => void): Promise<RunResult> {
  const { cpus = 1, ...scenarioOptions } = options;
  const scenario = testScenario({
    stack: ['t'],
    ...scenarioOptions,
    drivers: (k) => {
      async function TestDispatchRead(DeviceObject: TestDevice, Irp: Irp): Promise<NtStatus> {
        return body(k, DeviceObject, Irp);
      }
      return [testDriver(k, 't', { dispatch: { [IRP_MJ_READ]: TestDispatchRead } })];
    },
  });
  return runScenario(scenario, { cpus }, hook);
}

/** A threaded DPC whose routine logs (name, context, arguments, IRQL) and then runs `body`. */
function makeThreadedDpc(k: Kernel, name: string, log: unknown[], body?: (k: Kernel) => Promise<void>): KDPC {
  const dpc = k.KDPC(name);
  async function TestThreadedRoutine(Dpc: KDPC, DeferredContext: unknown, SystemArgument1: unknown, SystemArgument2: unknown): Promise<void> {
    log.push([Dpc.Name, DeferredContext, SystemArgument1, SystemArgument2, k.KeGetCurrentIrql()]);
    if (body) await body(k);
  }
  k.KeInitializeThreadedDpc(dpc, TestThreadedRoutine, `${name}.ctx`);
  return dpc;
}

describe('threaded DPCs (k:introduction-to-threaded-dpcs)', () => {
  it('run at PASSIVE_LEVEL in the processor\'s DPC thread, which takes the processor from the inserting thread at once ("a DPC that the system executes at IRQL equal to PASSIVE_LEVEL"; ddi:nf-wdm-keinitializethreadeddpc)', async () => {
    const log: unknown[] = [];
    const inserted: boolean[] = [];
    const r = await runWith(async (k, _d, irp) => {
      inserted.push(await k.KeInsertQueueDpc(makeThreadedDpc(k, 'T', log), 'a1', 'a2'));
      return finish(k, irp);
    });
    expect(r.summary.endReason).toBe('completed');
    expect(inserted).toEqual([true]);
    expect(log).toEqual([['T', 'T.ctx', 'a1', 'a2', PASSIVE_LEVEL]]);
    const run = activations(r.events, (e) => e.api === 'ThreadedDpc')[0]!;
    const dispatch = activationNamed(r.events, 'TestDispatchRead');
    expect(run.entered.routine).toBe('TestThreadedRoutine');
    expect(run.entered.irql).toBe(PASSIVE_LEVEL);
    expect(run.returned!.irql).toBe(PASSIVE_LEVEL);
    expect(run.entered.dpc).toBe('T');
    expect(run.entered.thread).not.toBeNull();
    expect(run.entered.thread).not.toBe(dispatch.entered.thread);
    // It outranks the requester: it runs before the dispatch routine's next step.
    expect(run.returned!.seq).toBeLessThan(firstOf(r.events, 'IrpCompletionRequested').seq);
    const toDpcThread = ofKind(r.events, 'ContextSwitched', (e) => e.thread === run.entered.thread && e.seq < run.entered.seq);
    expect(toDpcThread.length).toBe(1);
    const queued = firstOf(r.events, 'DpcQueued');
    expect(parseDetail<{ threaded?: boolean }>(queued).threaded).toBe(true);
  });

  it('an ordinary DPC preempts a threaded one: queued from it, it runs at DISPATCH_LEVEL inside the threaded routine, before that routine goes on ("a threaded DPC can be preempted by an ordinary DPC")', async () => {
    const log: unknown[] = [];
    const r = await runWith(async (k, _d, irp) => {
      const ordinary = k.KDPC('O');
      async function TestOrdinaryRoutine(): Promise<void> {
        log.push(['O', k.KeGetCurrentIrql()]);
      }
      k.KeInitializeDpc(ordinary, TestOrdinaryRoutine, null);
      const threaded = makeThreadedDpc(k, 'T', log, async (k2) => {
        await k2.KeInsertQueueDpc(ordinary, null, null);
        log.push('threaded goes on');
      });
      await k.KeInsertQueueDpc(threaded, null, null);
      return finish(k, irp);
    });
    expect(log).toEqual([['T', 'T.ctx', null, null, PASSIVE_LEVEL], ['O', DISPATCH_LEVEL], 'threaded goes on']);
    const threaded = activations(r.events, (e) => e.api === 'ThreadedDpc')[0]!;
    const ordinary = activations(r.events, (e) => e.api === 'Dpc')[0]!;
    expect(ordinary.entered.seq).toBeGreaterThan(threaded.entered.seq);
    expect(ordinary.returned!.seq).toBeLessThan(threaded.returned!.seq);
    expect(ordinary.entered.thread).toBe(threaded.entered.thread);
  });

  it('no thread preempts a threaded DPC, however many kernel calls it makes at PASSIVE_LEVEL while another thread is ready ("but not by other threads")', async () => {
    const r = await runWith(async (k, _d, irp) => {
      const threaded = makeThreadedDpc(k, 'T', [], async (k2) => {
        for (let i = 0; i < 2000; i++) await k2.KeStallExecutionProcessor(1);
      });
      await k.KeInsertQueueDpc(threaded, null, null);
      return finish(k, irp);
    }, { requesters: 2, requests: [{ major: 'read', length: 4096 }, { major: 'read', length: 4096 }] });
    expect(r.summary.endReason).toBe('completed');
    const runs = activations(r.events, (e) => e.api === 'ThreadedDpc');
    expect(runs).toHaveLength(2);
    for (const run of runs) {
      const during = r.events.slice(run.entered.seq, run.returned!.seq);
      expect(during.filter((e) => e.kind === 'ContextSwitched')).toEqual([]);
    }
    // Other threads were there to take the processor: the requesters switch in and out around it.
    const requesterSwitches = ofKind(r.events, 'ContextSwitched', (e) => e.result !== null && e.result !== runs[0]!.entered.thread);
    expect(requesterSwitches.length).toBeGreaterThan(0);
  });

  it('queued at DISPATCH_LEVEL, it runs only once the IRQL falls below DISPATCH_LEVEL, where the switch to the DPC thread can happen (windows-semantics.md §2)', async () => {
    const log: unknown[] = [];
    const r = await runWith(async (k, _d, irp) => {
      const old = await k.KeRaiseIrql(DISPATCH_LEVEL);
      await k.KeInsertQueueDpc(makeThreadedDpc(k, 'T', log), null, null);
      await k.KeStallExecutionProcessor(30);
      log.push('still at DISPATCH_LEVEL');
      await k.KeLowerIrql(old);
      return finish(k, irp);
    });
    expect(log).toEqual(['still at DISPATCH_LEVEL', ['T', 'T.ctx', null, null, PASSIVE_LEVEL]]);
    const lowered = firstOf(r.events, 'IrqlLowered', (e) => e.api === 'KeLowerIrql');
    expect(activations(r.events, (e) => e.api === 'ThreadedDpc')[0]!.entered.seq).toBeGreaterThan(lowered.seq);
  });

  it('KeInsertQueueDpc of a queued threaded DPC returns FALSE and KeRemoveQueueDpc takes it off the threaded queue (ddi:nf-wdm-keinsertqueuedpc; ddi:nf-wdm-keremovequeuedpc; "To remove a threaded DPC from the DPC queue before it executes, call KeRemoveQueueDpc")', async () => {
    const log: unknown[] = [];
    const results: boolean[] = [];
    let sim: Simulation | null = null;
    let threadedQueue: string[] = [];
    let normalQueue: string[] = [];
    const r = await runWith(async (k, _d, irp) => {
      const dpc = makeThreadedDpc(k, 'T', log);
      const old = await k.KeRaiseIrql(DISPATCH_LEVEL);
      results.push(await k.KeInsertQueueDpc(dpc, 'a1', null), await k.KeInsertQueueDpc(dpc, 'b1', null));
      const cpu = sim!.snapshot().cpus[0]!;
      threadedQueue = cpu.threadedDpcQueue;
      normalQueue = cpu.dpcQueue;
      results.push(await k.KeRemoveQueueDpc(dpc), await k.KeRemoveQueueDpc(dpc));
      await k.KeLowerIrql(old);
      return finish(k, irp);
    }, {}, (s) => { sim = s; });
    expect(r.summary.endReason).toBe('completed');
    expect(results).toEqual([true, false, true, false]);
    expect(threadedQueue).toEqual(['T']);
    expect(normalQueue).toEqual([]);
    expect(log).toEqual([]);
    expect(ofKind(r.events, 'DpcDequeued').map((e) => e.result)).toEqual([1, 0]);
  });

  it('with ThreadDpcEnable = 0 a threaded DPC runs as an ordinary DPC, at DISPATCH_LEVEL in the arbitrary context ("When threaded DPCs are disabled, they execute as ordinary DPCs")', async () => {
    const log: unknown[] = [];
    const r = await runWith(async (k, _d, irp) => {
      await k.KeInsertQueueDpc(makeThreadedDpc(k, 'T', log), null, null);
      return finish(k, irp);
    }, { threadDpcEnable: false });
    expect(r.summary.endReason).toBe('completed');
    expect(log).toEqual([['T', 'T.ctx', null, null, DISPATCH_LEVEL]]);
    expect(activations(r.events, (e) => e.api === 'ThreadedDpc')).toEqual([]);
    expect(activations(r.events, (e) => e.api === 'Dpc')[0]!.entered.routine).toBe('TestThreadedRoutine');
    expect(parseDetail<{ threaded?: boolean }>(firstOf(r.events, 'DpcQueued')).threaded).toBeUndefined();
    expect(parseDetail<{ threadDpcEnable?: boolean }>(r.events[0]!).threadDpcEnable).toBe(false);
  });

  it('importance only picks head or tail of the threaded queue (ddi:nf-wdm-kesetimportancedpc), and a target processor\'s DPC thread runs the DPCs targeted to it (k:organization-of-dpc-queues: one threaded queue per processor)', async () => {
    const log: unknown[][] = [];
    const r = await runWith(async (k, _d, irp) => {
      const old = await k.KeRaiseIrql(DISPATCH_LEVEL);
      for (const [name, importance] of [['M', 'MediumImportance'], ['H', 'HighImportance'], ['L', 'LowImportance']] as const) {
        const dpc = makeThreadedDpc(k, name, log as unknown[]);
        k.KeSetImportanceDpc(dpc, importance);
        await k.KeInsertQueueDpc(dpc, null, null);
      }
      const remote = makeThreadedDpc(k, 'R', log as unknown[]);
      k.KeSetTargetProcessorDpc(remote, 1 - k.KeGetCurrentProcessorNumber());
      await k.KeInsertQueueDpc(remote, null, null);
      await k.KeLowerIrql(old);
      return finish(k, irp);
    }, { cpus: 2 });
    expect(r.summary.endReason).toBe('completed');
    const runs = activations(r.events, (e) => e.api === 'ThreadedDpc');
    const local = runs.filter((a) => a.entered.dpc !== 'R');
    expect(local.map((a) => a.entered.dpc)).toEqual(['H', 'M', 'L']);
    const remote = runs.find((a) => a.entered.dpc === 'R')!;
    const queuedFrom = firstOf(r.events, 'DpcQueued', (e) => e.dpc === 'R');
    expect(remote.entered.cpu).toBe(queuedFrom.cpu);
    expect(remote.entered.cpu).not.toBe(local[0]!.entered.cpu);
    expect(remote.entered.thread).not.toBe(local[0]!.entered.thread);
    expect(remote.entered.irql).toBe(PASSIVE_LEVEL);
  });

  for (const threadDpcEnable of [true, false]) {
    it(`KeAcquireSpinLockForDpc in a threaded DPC ${threadDpcEnable ? 'at PASSIVE_LEVEL raises to DISPATCH_LEVEL and returns PASSIVE_LEVEL' : 'run as an ordinary DPC (ThreadDpcEnable = 0) leaves DISPATCH_LEVEL alone and returns it'}; KeReleaseSpinLockForDpc restores what it returned (ddi:nf-wdm-keacquirespinlockfordpc; k:synchronization-and-threaded-dpcs)`, async () => {
      const seen: number[] = [];
      const r = await runWith(async (k, _d, irp) => {
        const lock = k.KeInitializeSpinLock('t.Lock');
        await k.KeInsertQueueDpc(makeThreadedDpc(k, 'T', [], async (k2) => {
          const old = await k2.KeAcquireSpinLockForDpc(lock);
          seen.push(old, k2.KeGetCurrentIrql());
          await k2.KeReleaseSpinLockForDpc(lock, old);
          seen.push(k2.KeGetCurrentIrql());
        }), null, null);
        return finish(k, irp);
      }, { threadDpcEnable });
      expect(r.summary.endReason).toBe('completed');
      const entry = threadDpcEnable ? PASSIVE_LEVEL : DISPATCH_LEVEL;
      expect(seen).toEqual([entry, DISPATCH_LEVEL, entry]);
      expect(ofKind(r.events, 'SpinLockAcquired').map((e) => [e.api, e.lock])).toEqual([['KeAcquireSpinLockForDpc', 't.Lock']]);
      expect(ofKind(r.events, 'IrqlRaised', (e) => e.api === 'KeAcquireSpinLockForDpc')).toHaveLength(threadDpcEnable ? 1 : 0);
      expect(ofKind(r.events, 'IrqlLowered', (e) => e.api === 'KeReleaseSpinLockForDpc')).toHaveLength(threadDpcEnable ? 1 : 0);
    });
  }

  it('a threaded DPC that waits on an unsignaled KEVENT blocks its DPC thread (at PASSIVE_LEVEL Windows lets it) while the machine runs on, until another thread sets the event — the misuse the docs forbid ("must not block on passive-level synchronization objects such as KEVENT objects"), recorded for the rule pack', async () => {
    const log: unknown[] = [];
    const r = await runWith(async (k, _d, irp) => {
      const event = k.KEVENT('t.Go');
      k.KeInitializeEvent(event, 'NotificationEvent', false);
      await k.KeInsertQueueDpc(makeThreadedDpc(k, 'T', log, async (k2) => {
        await k2.KeWaitForSingleObject(event);
        log.push('woken');
      }), null, null);
      log.push('requester goes on');
      await k.KeSetEvent(event, 0, false);
      return finish(k, irp);
    });
    expect(r.summary.endReason).toBe('completed');
    expect(log).toEqual([['T', 'T.ctx', null, null, PASSIVE_LEVEL], 'requester goes on', 'woken']);
    const run = activations(r.events, (e) => e.api === 'ThreadedDpc')[0]!;
    const started = firstOf(r.events, 'WaitStarted');
    const signaled = firstOf(r.events, 'EventSignaled');
    const ended = firstOf(r.events, 'WaitEnded');
    expect(started.activation).toBe(run.entered.seq);
    expect(started.thread).toBe(run.entered.thread);
    expect(started.irql).toBe(PASSIVE_LEVEL);
    expect(signaled.seq).toBeGreaterThan(started.seq);
    expect(signaled.thread).not.toBe(run.entered.thread);
    expect(ended.seq).toBeGreaterThan(signaled.seq);
    expect(run.returned!.seq).toBeGreaterThan(ended.seq);
  });

  it('a threaded DPC routine that returns above PASSIVE_LEVEL stops the machine with IRQL_UNEXPECTED_VALUE, as an ordinary DPC returning off DISPATCH_LEVEL does', async () => {
    const r = await runWith(async (k, _d, irp) => {
      await k.KeInsertQueueDpc(makeThreadedDpc(k, 'T', [], async (k2) => { await k2.KeRaiseIrql(DISPATCH_LEVEL); }), null, null);
      return finish(k, irp);
    });
    expect(r.summary.endReason).toBe('bugcheck');
    const bugcheck = firstOf(r.events, 'Bugcheck');
    expect(bugcheck.api).toBe('IRQL_UNEXPECTED_VALUE');
    expect(parseDetail(bugcheck)).toMatchObject({ dpc: 'T', irql: DISPATCH_LEVEL, expected: PASSIVE_LEVEL });
  });
});
