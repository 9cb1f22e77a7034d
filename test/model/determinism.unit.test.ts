/**
 * Determinism: the seed fixes the run (same events, same chain hash), different seeds give different
 * interleavings, and the interleavings include the classic race where a DpcForIsr completes an IRP
 * before the dispatch routine that sent it has returned (ddi:nf-wdm-iomarkirppending "even if some
 * routine completes the IRP … before the dispatch routine … returns").
 */
import { describe, expect, it } from 'vitest';
import demo from '../../scenarios/demo.js';
import type { TraceEvent } from '../../model/index.js';
import { finish, hardwareDriver, readStack, runScenario, testScenario, testDriver, allMajors, type TestDevice } from './helpers.js';
import type { Irp, NtStatus } from '../../model/index.js';

interface Race {
  readonly irp: number;
  /** seq of the IrpCompletionRequested / IrpCompleted inside a DPC. */
  readonly completedAt: number;
  readonly dispatch: string;
  readonly dispatchEntered: number;
  readonly dispatchReturned: number;
}

/**
 * The first IRP X whose IoCompleteRequest (IrpCompletionRequested) or walk end (IrpCompleted)
 * happens inside a DPC routine — directly or in a completion routine the DPC's IoCompleteRequest
 * called — while a Dispatch activation for X (on any driver) has entered and not yet returned.
 */
function dpcCompletionBeforeDispatchReturn(events: readonly TraceEvent[]): Race | null {
  const returnedAt = new Map<number, number>();
  for (const e of events) if (e.kind === 'RoutineReturned' && e.activation !== null) returnedAt.set(e.activation, e.seq);
  const dispatches = new Map<number, { entered: number; returned: number; routine: string }[]>();
  const dpcs: { entered: number; returned: number; cpu: number }[] = [];
  for (const e of events) {
    if (e.kind !== 'RoutineEntered') continue;
    const returned = returnedAt.get(e.seq) ?? Infinity;
    if (e.api === 'Dispatch' && e.irp !== null) {
      const list = dispatches.get(e.irp) ?? [];
      list.push({ entered: e.seq, returned, routine: e.routine });
      dispatches.set(e.irp, list);
    } else if (e.api === 'Dpc' && e.cpu !== null) {
      dpcs.push({ entered: e.seq, returned, cpu: e.cpu });
    }
  }
  for (const e of events) {
    if ((e.kind !== 'IrpCompletionRequested' && e.kind !== 'IrpCompleted') || e.irp === null) continue;
    // A DPC does not give up its processor, so the DPC activation on this CPU spanning e encloses it.
    if (!dpcs.some((d) => d.cpu === e.cpu && d.entered < e.seq && e.seq < d.returned)) continue;
    for (const d of dispatches.get(e.irp) ?? []) {
      if (d.entered < e.seq && e.seq < d.returned) {
        return { irp: e.irp, completedAt: e.seq, dispatch: d.routine, dispatchEntered: d.entered, dispatchReturned: d.returned };
      }
    }
  }
  return null;
}

describe('determinism', () => {
  it('the same seed and configuration give the same event list and the same final hash', async () => {
    const a = await runScenario(demo, { seed: 7, cpus: 3, requests: 40 });
    const b = await runScenario(demo, { seed: 7, cpus: 3, requests: 40 });
    expect(a.summary.endReason).toBe('completed');
    expect(b.summary.hash).toBe(a.summary.hash);
    expect(b.summary.events).toBe(a.summary.events);
    expect(b.events).toEqual(a.events);
    expect(a.summary.hash).toBe(a.events.at(-1)!.hash);
    expect(a.summary.events).toBe(a.events.length);
  });

  it('a run does not depend on anything but its seed and configuration: interleaved with another run, it is unchanged', async () => {
    const alone = await runScenario(demo, { seed: 12, cpus: 2, requests: 25 });
    const [x, y] = await Promise.all([
      runScenario(demo, { seed: 12, cpus: 2, requests: 25 }),
      runScenario(demo, { seed: 13, cpus: 4, requests: 25 }),
    ]);
    expect(x.summary.hash).toBe(alone.summary.hash);
    expect(y.summary.hash).not.toBe(alone.summary.hash);
  });

  it('demo on 2 CPUs gives at least 2 distinct final hashes over seeds 1..10', async () => {
    const hashes = new Set<string>();
    const timelines = new Set<string>();
    for (let seed = 1; seed <= 10; seed++) {
      const r = await runScenario(demo, { seed, cpus: 2, requests: 20 });
      expect(r.summary.endReason).toBe('completed');
      hashes.add(r.summary.hash);
      // Not only the workload differs: which CPU runs what differs too.
      timelines.add(r.events.filter((e) => e.kind === 'RoutineEntered').map((e) => e.cpu).join(','));
    }
    expect(hashes.size).toBeGreaterThanOrEqual(2);
    expect(timelines.size).toBeGreaterThanOrEqual(2);
  });

  it('the CPU count is part of the run\'s identity: same seed, 1 vs 2 CPUs, different hashes', async () => {
    const one = await runScenario(demo, { seed: 3, cpus: 1, requests: 20 });
    const two = await runScenario(demo, { seed: 3, cpus: 2, requests: 20 });
    expect(one.summary.hash).not.toBe(two.summary.hash);
    expect(new Set(one.events.filter((e) => e.cpu !== null).map((e) => e.cpu))).toEqual(new Set([0]));
  });

  it('the race is reachable: with a top driver that works on after IoCallDriver, a DPC on another CPU completes the IRP before that dispatch returns (ddi:nf-wdm-iomarkirppending; k:registering-and-queuing-a-dpcforisr-routine)', async () => {
    const scenario = testScenario({
      stack: ['hw', 't'],
      drivers: (k) => {
        async function SlowForward(DeviceObject: TestDevice, Irp: Irp): Promise<NtStatus> {
          k.IoSkipCurrentIrpStackLocation(Irp);
          const status = await k.IoCallDriver(DeviceObject.DeviceExtension.Lower, Irp);
          await k.KeStallExecutionProcessor(40); // bookkeeping after the send
          return status;
        }
        return [hardwareDriver(k, 'hw'), testDriver(k, 't', { dispatch: allMajors(SlowForward) })];
      },
    });
    let found: { seed: number; race: Race } | null = null;
    for (let seed = 1; seed <= 20 && found === null; seed++) {
      const r = await runScenario(scenario, { seed, cpus: 2 });
      expect(r.summary.endReason).toBe('completed');
      const race = dpcCompletionBeforeDispatchReturn(r.events);
      if (race !== null) found = { seed, race };
    }
    expect(found).not.toBeNull();
    expect(found!.race.dispatch).toBe('SlowForward');
  });

  it('the race on the demo: a seed in 1..200 (50 requests, 2–4 CPUs) where a DPC completes an IRP before the dispatch routine that started its transfer has returned (ddi:nf-wdm-iomarkirppending "even if some routine completes the IRP … before the dispatch routine … returns")', async () => {
    // Fails on the model as it stands: in the demo the DpcForIsr's IoCompleteRequest comes at least
    // ~4 µs of simulated time after the last dispatch for that IRP returned (seeds 1..60, 1/2/4 CPUs),
    // because a dispatch routine runs for < 1 µs after it programs the device, the device's latency
    // is >= 2 µs + 0.25 ns/byte, and a thread is never delayed except by interrupts and DPCs on its
    // own CPU (no quantum, no preemption by other threads; a yielded CPU resumes at its own clock).
    let found: { seed: number; cpus: number; race: Race } | null = null;
    for (let seed = 1; seed <= 200 && found === null; seed++) {
      const cpus = 2 + (seed % 3);
      const r = await runScenario(demo, { seed, cpus, requests: 50 });
      const race = dpcCompletionBeforeDispatchReturn(r.events);
      if (race !== null) found = { seed, cpus, race };
    }
    if (found !== null) console.log(`demo race: seed ${found.seed}, ${found.cpus} CPUs:`, found.race);
    expect(found, 'no seed in 1..200 shows a DPC completing an IRP before its dispatch returned').not.toBeNull();
  }, 60_000);

  it('the race finder itself reports nothing for an IRP completed inside its dispatch routine rather than in a DPC', async () => {
    const r = await runScenario(readStack([['b', async (k, _d, irp) => finish(k, irp)]]), { cpus: 2 });
    expect(r.summary.endReason).toBe('completed');
    expect(dpcCompletionBeforeDispatchReturn(r.events)).toBeNull();
  });
});
