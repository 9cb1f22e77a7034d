/**
 * Property tests (fast-check): whole runs over random seeds, CPU counts and workload sizes must keep
 * the trace contract (shared/design/trace-schema.md) and end cleanly; and random stacks of correct
 * drivers (each a textbook forwarding pattern) must complete every request.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import demo from '../../scenarios/demo.js';
import reuseIrp from '../../scenarios/reuse-irp.js';
import threadedDpc from '../../scenarios/threaded-dpc.js';
import workerThread from '../../scenarios/worker-thread.js';
import {
  ChainHasher, GENESIS_HASH, IO_NO_INCREMENT, STATUS_CONTINUE_COMPLETION, STATUS_MORE_PROCESSING_REQUIRED,
  STATUS_PENDING, STATUS_SUCCESS, canonicalState, initialState, reduce,
  type DriverDefinition, type Irp, type Kernel, type NtStatus, type ScenarioDefinition, type TraceEvent,
} from '../../model/index.js';
import { allMajors, finish, hardwareDriver, ofKind, runScenario, testDriver, testScenario, type TestDevice } from './helpers.js';

/** The trace contract and clean-end checks every correct run must pass; returns the events. */
async function checkRun(scenario: ScenarioDefinition, config: { seed: number; cpus: number; requests?: number }): Promise<{ events: TraceEvent[] }> {
  const { events, summary, sim } = await runScenario(scenario, config);
  const label = `${scenario.name} seed ${config.seed}, ${config.cpus} cpu, ${config.requests ?? '-'} requests`;
  expect(summary.endReason, label).toBe('completed');
  expect(ofKind(events, 'Bugcheck'), label).toEqual([]);
  // seq dense from 0; time never decreasing; first and last events.
  events.forEach((e, i) => expect(e.seq, label).toBe(i));
  for (let i = 1; i < events.length; i++) {
    if (events[i]!.timeNs < events[i - 1]!.timeNs) expect.fail(`${label}: time_ns decreases at seq ${i}`);
  }
  expect(events[0]!.kind).toBe('SessionStarted');
  expect(events.at(-1)!.kind).toBe('SessionEnded');
  expect(events.at(-1)!.api).toBe('completed');
  expect(summary.events).toBe(events.length);
  // The hash chain recomputes from GENESIS_HASH, and its last link is the run's identity.
  const hasher = new ChainHasher(GENESIS_HASH);
  for (const e of events) {
    const h = hasher.next(e);
    if (h !== e.hash) expect.fail(`${label}: hash chain breaks at seq ${e.seq} (${e.kind})`);
  }
  expect(summary.hash).toBe(events.at(-1)!.hash);
  // Every request gets exactly one result, after it was issued.
  const issued = ofKind(events, 'RequestIssued');
  const completed = ofKind(events, 'RequestCompleted');
  if (config.requests !== undefined) expect(issued).toHaveLength(config.requests);
  expect(completed.map((e) => e.irp).sort((a, b) => a - b)).toEqual(issued.map((e) => e.irp).sort((a, b) => a - b));
  const issuedAt = new Map(issued.map((e) => [e.irp, e.seq]));
  for (const c of completed) expect(c.seq).toBeGreaterThan(issuedAt.get(c.irp)!);
  // The fold of the whole trace: no IRP left, every CPU back at PASSIVE_LEVEL with nothing held,
  // and equal to the simulator's own final state.
  const state = events.reduce(reduce, initialState(config.cpus));
  expect([...state.irps.keys()], label).toEqual([]);
  expect(state.locks.size).toBe(0);
  for (const cpu of state.cpus) {
    expect(cpu.irql).toBe(0);
    expect(cpu.frames).toEqual([]);
    expect(cpu.routines).toEqual([]);
    expect(cpu.dpcQueue).toEqual([]);
    expect(cpu.threadedDpcQueue).toEqual([]);
  }
  expect(state.ended).toBe('completed');
  expect(canonicalState(state)).toEqual(canonicalState(sim.snapshot()));
  return { events };
}

describe('demo properties', () => {
  it('over random seeds, 1–4 CPUs and 1–60 requests: completes, no bug check, no live IRP, every request answered, dense seq, monotonic time, hash chain verifies, fold = simulator (trace-schema.md)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 0x7fffffff }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 60 }), async (seed, cpus, requests) => {
        await checkRun(demo, { seed, cpus, requests });
      }),
      { numRuns: 100, seed: 20261122 },
    );
  }, 30_000);

  it('the same property on fixed edge cases: 1 request on 1 CPU, 60 requests on 4 CPUs, seed 0 and the largest seed', async () => {
    for (const [seed, cpus, requests] of [[0, 1, 1], [0x7fffffff, 4, 60], [1, 4, 1], [2, 1, 60]] as const) {
      await checkRun(demo, { seed, cpus, requests });
    }
  });
});

describe('worker-thread properties', () => {
  it('over random seeds, 1–4 CPUs and 1–40 requests: the demo\'s properties, every synchronous IRP built in the driver\'s own thread, and its unload runs after the last request and returns only after the thread ended (k:creating-irps-for-lower-level-drivers; ddi:nf-wdm-psterminatesystemthread)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 0x7fffffff }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 40 }), async (seed, cpus, requests) => {
        const { events } = await checkRun(workerThread, { seed, cpus, requests });
        const started = ofKind(events, 'RoutineEntered', (e) => e.api === 'SystemThread');
        expect(started).toHaveLength(1);
        for (const e of ofKind(events, 'IrpAllocated', (x) => x.api === 'IoBuildSynchronousFsdRequest')) expect(e.thread).toBe(started[0]!.thread);
        const unload = ofKind(events, 'RoutineEntered', (e) => e.api === 'Unload');
        const unloaded = ofKind(events, 'RoutineReturned', (e) => e.api === 'Unload');
        const ended = ofKind(events, 'RoutineReturned', (e) => e.api === 'SystemThread');
        expect([unload.length, unloaded.length, ended.length]).toEqual([1, 1, 1]);
        expect(unload[0]!.seq).toBeGreaterThan(ofKind(events, 'RequestCompleted').at(-1)!.seq);
        expect(ended[0]!.seq).toBeGreaterThan(unload[0]!.seq);
        expect(ended[0]!.seq).toBeLessThan(unloaded[0]!.seq);
      }),
      { numRuns: 40, seed: 20261122 },
    );
  }, 30_000);
});

describe('reuse-irp properties', () => {
  it('over random seeds, 1–4 CPUs and 1–40 requests: the demo\'s properties, and each IRP the chunking driver allocates goes down once per piece, reinitialised (IoReuseIrp) between two pieces only inside its own completion routine, which then returns STATUS_MORE_PROCESSING_REQUIRED (k:reusing-irps; ddi:nf-wdm-ioreuseirp)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 0x7fffffff }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 40 }), async (seed, cpus, requests) => {
        const { events } = await checkRun(reuseIrp, { seed, cpus, requests });
        const returned = new Map(ofKind(events, 'RoutineReturned').map((e) => [e.activation, e.status]));
        const calls = new Map<number, number>();
        for (const e of ofKind(events, 'IrpCalled')) calls.set(e.irp, (calls.get(e.irp) ?? 0) + 1);
        const reuses = ofKind(events, 'IrpReused');
        for (const r of reuses) {
          expect(r.routine).toBe('ChunkPieceComplete');
          expect(returned.get(r.activation!)).toBe(STATUS_MORE_PROCESSING_REQUIRED);
        }
        for (const a of ofKind(events, 'IrpAllocated', (e) => e.api === 'IoAllocateIrp')) {
          expect(calls.get(a.irp)).toBe(reuses.filter((r) => r.irp === a.irp).length + 1);
        }
      }),
      { numRuns: 40, seed: 20261122 },
    );
  }, 30_000);
});

describe('threaded-dpc properties', () => {
  it('over random seeds, 1–4 CPUs and 1–40 requests: the demo\'s properties, and every transfer finishes in a threaded DPC run at PASSIVE_LEVEL by the DPC thread of the processor it was queued to, never preempted there by another thread, after its queuing (k:introduction-to-threaded-dpcs)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 0x7fffffff }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 40 }), async (seed, cpus, requests) => {
        const { events } = await checkRun(threadedDpc, { seed, cpus, requests });
        expect(ofKind(events, 'RoutineEntered', (e) => e.api === 'Dpc')).toEqual([]);
        const runs = ofKind(events, 'RoutineEntered', (e) => e.api === 'ThreadedDpc');
        expect(runs.length).toBeGreaterThan(0);
        // One DPC thread per processor: the thread a processor's threaded DPCs run in is its own.
        const threadOf = new Map<number, number>();
        for (const r of runs) {
          expect(r.irql).toBe(0);
          if (!threadOf.has(r.cpu!)) threadOf.set(r.cpu!, r.thread!);
          expect(r.thread).toBe(threadOf.get(r.cpu!));
        }
        expect(new Set(threadOf.values()).size).toBe(threadOf.size);
        const returned = new Map(ofKind(events, 'RoutineReturned', (e) => e.api === 'ThreadedDpc').map((e) => [e.activation, e.seq]));
        for (const r of runs) {
          // No other thread takes the processor while the routine runs.
          const switched = events.slice(r.seq, returned.get(r.seq)).filter((e) => e.kind === 'ContextSwitched' && e.cpu === r.cpu);
          expect(switched).toEqual([]);
        }
        const queued = ofKind(events, 'DpcQueued', (e) => e.result === 1);
        expect(queued.every((q) => JSON.parse(q.detail!).threaded === true)).toBe(true);
      }),
      { numRuns: 40, seed: 20261123 },
    );
  }, 30_000);
});

// ---- random stacks of correct drivers ---------------------------------------------------------

type Layer = 'skip' | 'copyWithRoutine' | 'syncForward' | 'allocateOwn';
type Bottom = 'hardware' | 'synchronous' | 'pendThenDpc';

/** A driver that forwards the way `layer` says, correctly (docs: k:implementing-an-iocompletion-routine, k:creating-irps-for-lower-level-drivers). */
function layerDriver(k: Kernel, name: string, layer: Layer): DriverDefinition {
  async function CopyComplete(_DeviceObject: TestDevice | null, Irp: Irp): Promise<NtStatus> {
    if (Irp.PendingReturned) k.IoMarkIrpPending(Irp);
    return STATUS_CONTINUE_COMPLETION;
  }
  async function Forward(DeviceObject: TestDevice, Irp: Irp): Promise<NtStatus> {
    const lower = DeviceObject.DeviceExtension.Lower;
    switch (layer) {
      case 'skip':
        k.IoSkipCurrentIrpStackLocation(Irp);
        return k.IoCallDriver(lower, Irp);
      case 'copyWithRoutine':
        k.IoCopyCurrentIrpStackLocationToNext(Irp);
        k.IoSetCompletionRoutine(Irp, CopyComplete, null, true, true, true);
        return k.IoCallDriver(lower, Irp);
      case 'syncForward': {
        const event = k.KEVENT(`${name}.${Irp.id}`);
        k.KeInitializeEvent(event, 'NotificationEvent', false);
        async function SignalComplete(_DeviceObject: TestDevice | null, _Irp: Irp, Event: typeof event): Promise<NtStatus> {
          await k.KeSetEvent(Event, 0, false);
          return STATUS_MORE_PROCESSING_REQUIRED;
        }
        k.IoCopyCurrentIrpStackLocationToNext(Irp);
        k.IoSetCompletionRoutine(Irp, SignalComplete, event, true, true, true);
        if ((await k.IoCallDriver(lower, Irp)) === STATUS_PENDING) await k.KeWaitForSingleObject(event);
        const status = Irp.IoStatus.Status;
        await k.IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return status;
      }
      case 'allocateOwn': {
        const own = await k.IoAllocateIrp(lower.StackSize, false);
        const next = k.IoGetNextIrpStackLocation(own);
        const current = k.IoGetCurrentIrpStackLocation(Irp);
        next.MajorFunction = current.MajorFunction;
        next.Parameters.Read.Length = current.Parameters.Read.Length;
        async function OwnComplete(_DeviceObject: TestDevice | null, Child: Irp, Original: Irp): Promise<NtStatus> {
          Original.IoStatus.Status = Child.IoStatus.Status;
          Original.IoStatus.Information = Child.IoStatus.Information;
          await k.IoFreeIrp(Child);
          await k.IoCompleteRequest(Original, IO_NO_INCREMENT);
          return STATUS_MORE_PROCESSING_REQUIRED;
        }
        k.IoSetCompletionRoutine(own, OwnComplete, Irp, true, true, true);
        k.IoMarkIrpPending(Irp);
        await k.IoCallDriver(lower, own);
        return STATUS_PENDING;
      }
    }
  }
  Object.defineProperty(Forward, 'name', { value: `${layer}Dispatch` });
  return testDriver(k, name, { dispatch: allMajors(Forward) });
}

function bottomDriver(k: Kernel, bottom: Bottom): DriverDefinition {
  if (bottom === 'hardware') return hardwareDriver(k, 'bottom');
  async function BottomDispatch(_DeviceObject: TestDevice, Irp: Irp): Promise<NtStatus> {
    Irp.IoStatus.Information = k.IoGetCurrentIrpStackLocation(Irp).Parameters.Read.Length;
    if (bottom === 'synchronous') return finish(k, Irp, STATUS_SUCCESS);
    k.IoMarkIrpPending(Irp);
    const dpc = k.KDPC(`Complete${Irp.id}`);
    async function CompleteInDpc(_Dpc: unknown, _Context: unknown, Target: unknown): Promise<void> {
      await finish(k, Target as Irp, STATUS_SUCCESS);
    }
    k.KeInitializeDpc(dpc, CompleteInDpc, null);
    k.KeSetImportanceDpc(dpc, 'LowImportance'); // runs when the CPU has nothing else to do: truly later
    await k.KeInsertQueueDpc(dpc, Irp, null);
    return STATUS_PENDING;
  }
  return testDriver(k, 'bottom', { dispatch: allMajors(BottomDispatch) });
}

describe('random stacks of correct drivers', () => {
  it('any stack of 1–3 correct forwarding layers over a hardware, synchronous or DPC-completing bottom completes every request, paging or not, with success and leaves nothing behind (k:implementing-an-iocompletion-routine; k:creating-irps-for-lower-level-drivers; ddi:nf-wdm-iomarkirppending)', async () => {
    const layer = fc.constantFrom<Layer>('skip', 'copyWithRoutine', 'syncForward', 'allocateOwn');
    await fc.assert(
      fc.asyncProperty(
        fc.array(layer, { minLength: 1, maxLength: 3 }), fc.constantFrom<Bottom>('hardware', 'synchronous', 'pendThenDpc'),
        fc.integer({ min: 0, max: 0x7fffffff }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 255 }),
        async (layers, bottom, seed, cpus, requests, pagingMask) => {
          const names = layers.map((_, i) => `l${i}`);
          const scenario = testScenario({
            name: `stack ${bottom}+${layers.join('+')}`,
            stack: ['bottom', ...names],
            requesters: 2,
            // Some of them paging I/O (sent at APC_LEVEL, finished without the completion APC).
            requests: Array.from({ length: requests }, (_, i) => ({ major: i % 2 === 0 ? 'read' : 'write', length: 512 * (i + 1), paging: (pagingMask & (1 << i)) !== 0 }) as const),
            drivers: (k) => [bottomDriver(k, bottom), ...layers.map((l, i) => layerDriver(k, names[i]!, l))],
          });
          const { events } = await checkRun(scenario, { seed, cpus, requests });
          // Each request succeeds with the length the bottom transferred (RequestIssued is in workload order).
          const lengthOf = new Map(ofKind(events, 'RequestIssued').map((e, i) => [e.irp, 512 * (i + 1)]));
          for (const done of ofKind(events, 'RequestCompleted')) {
            expect(done.status).toBe(STATUS_SUCCESS);
            expect(done.result).toBe(lengthOf.get(done.irp));
          }
          // Only the driver-allocated IRPs of allocateOwn layers are freed by a driver; the rest by the I/O manager.
          const driverFreed = ofKind(events, 'IrpFreed', (e) => e.api === 'IoFreeIrp').length;
          expect(driverFreed).toBe(layers.filter((l) => l === 'allocateOwn').length * requests);
        },
      ),
      { numRuns: 150, seed: 424242 },
    );
  }, 30_000);
});
