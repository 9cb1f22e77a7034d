/**
 * The fold (model/reduce.ts) rebuilds the machine from events alone; the simulator reads the same
 * state from its own structures (Simulation.snapshot, model/kernel/snapshot.ts). They must agree at
 * every point of a run: the subscriber runs synchronously at each emission, so it can compare the
 * fold-so-far with the snapshot right there.
 */
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import demo from '../../scenarios/demo.js';
import { BUILTIN_SCENARIOS } from '../../scenarios/index.js';
import {
  DISPATCH_LEVEL, IO_NO_INCREMENT, IRP_MJ_READ, STATUS_MORE_PROCESSING_REQUIRED, STATUS_PENDING, STATUS_SUCCESS,
  Simulation, canonicalState, initialState, reduce,
  type Irp, type TraceEvent, type KDPC, type NtStatus, type RunConfig, type ScenarioDefinition,
} from '../../model/index.js';
import { allMajors, finish, hardwareDriver, pendUntilCancelled, readStack, testDriver, testScenario, type TestDevice } from './helpers.js';

interface Mismatch {
  readonly seq: number;
  readonly kind: string;
  readonly api: string | null;
  readonly fold: unknown;
  readonly sim: unknown;
}

interface FoldCheck {
  readonly compared: number;
  readonly mismatches: Mismatch[];
  /** Mismatch count by event kind. */
  readonly byKind: Map<string, number>;
  readonly endReason: string;
  readonly final: { fold: unknown; sim: unknown };
}

/**
 * Runs `scenario`, comparing the fold with the simulator's snapshot after every `every`-th event
 * (and at the end); `tap` sees each event first.
 */
async function checkFold(scenario: ScenarioDefinition, config: Partial<RunConfig> & { cpus: number }, every = 1, tap?: (e: TraceEvent) => void): Promise<FoldCheck> {
  const sim = new Simulation(scenario, config);
  const state = initialState(config.cpus);
  const mismatches: Mismatch[] = [];
  const byKind = new Map<string, number>();
  let compared = 0;
  sim.events$.subscribe((e) => {
    tap?.(e);
    reduce(state, e);
    if ((e.seq + 1) % every !== 0) return;
    compared++;
    const fold = canonicalState(state);
    const own = canonicalState(sim.snapshot());
    if (!isDeepStrictEqual(fold, own)) {
      byKind.set(e.kind, (byKind.get(e.kind) ?? 0) + 1);
      if (mismatches.length < 3) mismatches.push({ seq: e.seq, kind: e.kind, api: e.api, fold, sim: own });
    }
  });
  const summary = await sim.run();
  return { compared, mismatches, byKind, endReason: summary.endReason, final: { fold: canonicalState(state), sim: canonicalState(sim.snapshot()) } };
}

/** Fails with a readable diff of the first mismatch. */
function expectAgreement(check: FoldCheck, label: string): void {
  expect(check.compared, label).toBeGreaterThan(0);
  const first = check.mismatches[0];
  if (first !== undefined) {
    expect(first.fold, `${label}: fold ≠ snapshot at seq ${first.seq} (${first.kind}${first.api ? `:${first.api}` : ''}); mismatches by kind: ${JSON.stringify([...check.byKind])}`).toEqual(first.sim);
  }
  expect(check.final.fold, `${label}: at the end`).toEqual(check.final.sim);
}

/** Small scenarios that reach what the demo does not: DPC importance and removal, cancel, spin locks, MPR, waits. */
const purposeBuilt: { name: string; scenario: ScenarioDefinition; cpus: number }[] = [
  {
    name: 'DPC queue: importance, removal, targeting',
    cpus: 2,
    scenario: readStack([['t', async (k, _d, irp) => {
      async function Noop(_Dpc: KDPC): Promise<void> { await k.KeStallExecutionProcessor(1); }
      const dpcs = ['A', 'B', 'C', 'D'].map((n) => { const d = k.KDPC(n); k.KeInitializeDpc(d, Noop, null); return d; });
      k.KeSetImportanceDpc(dpcs[2]!, 'HighImportance');
      k.KeSetTargetProcessorDpc(dpcs[3]!, 1);
      const old = await k.KeRaiseIrql(DISPATCH_LEVEL);
      for (const d of dpcs) await k.KeInsertQueueDpc(d, irp, null);
      await k.KeInsertQueueDpc(dpcs[0]!, null, null);
      await k.KeRemoveQueueDpc(dpcs[1]!);
      await k.KeLowerIrql(old);
      return finish(k, irp);
    }]], { requests: [{ major: 'read', length: 512 }, { major: 'read', length: 512 }] }),
  },
  {
    name: 'cancel routine with the cancel lock',
    cpus: 2,
    scenario: readStack([
      ['b', async (k, _d, irp) => pendUntilCancelled(k, irp)],
      ['t', async (k, d, irp) => {
        k.IoSkipCurrentIrpStackLocation(irp);
        const status = await k.IoCallDriver(d.DeviceExtension.Lower, irp);
        await k.IoCancelIrp(irp);
        return status;
      }],
    ]),
  },
  {
    name: 'MPR, resumed completion, pending propagation, spin locks',
    cpus: 3,
    scenario: readStack([
      ['b', async (k, _d, irp) => { k.IoMarkIrpPending(irp); await finish(k, irp); return STATUS_PENDING; }],
      ['m', async (k, d, irp) => {
        const lock = k.KeInitializeSpinLock('MLock');
        k.IoCopyCurrentIrpStackLocationToNext(irp);
        async function Stop(): Promise<NtStatus> { return STATUS_MORE_PROCESSING_REQUIRED; }
        k.IoSetCompletionRoutine(irp, Stop, null, true, true, true);
        await k.IoCallDriver(d.DeviceExtension.Lower, irp);
        const old = await k.KeAcquireSpinLock(lock);
        await k.KeReleaseSpinLock(lock, old);
        await k.IoCompleteRequest(irp, IO_NO_INCREMENT);
        return STATUS_SUCCESS;
      }],
      ['t', async (k, d, irp) => {
        k.IoCopyCurrentIrpStackLocationToNext(irp);
        return k.IoCallDriver(d.DeviceExtension.Lower, irp);
      }],
    ], { requesters: 2, requests: [{ major: 'read', length: 512 }, { major: 'read', length: 512 }, { major: 'read', length: 512 }] }),
  },
  {
    name: 'associated IRPs with an MPR routine, own stack location, IoSetNextIrpStackLocation',
    cpus: 2,
    scenario: readStack([
      ['hwless', async (k, _d, irp) => finish(k, irp)],
      ['t', async (k, d, irp) => {
        const lower = d.DeviceExtension.Lower;
        k.IoMarkIrpPending(irp);
        const a = await k.IoMakeAssociatedIrp(irp, lower.StackSize + 1);
        k.IoSetNextIrpStackLocation(a);
        k.IoGetNextIrpStackLocation(a).MajorFunction = IRP_MJ_READ;
        const master = irp;
        async function AssocDone(_DeviceObject: unknown, Irp: Irp): Promise<NtStatus> {
          await k.IoFreeIrp(Irp);
          await k.IoCompleteRequest(master, IO_NO_INCREMENT);
          return STATUS_MORE_PROCESSING_REQUIRED;
        }
        k.IoSetCompletionRoutine(a, AssocDone, null, true, true, true);
        irp.AssociatedIrp.IrpCount = 1;
        await k.IoCallDriver(lower, a);
        return STATUS_PENDING;
      }],
    ]),
  },
  {
    name: 'interrupt-driven device under a waiting synchronous-IRP builder',
    cpus: 2,
    scenario: testScenario({
      stack: ['hw', 't'],
      requesters: 2,
      requests: [{ major: 'read', length: 4096 }, { major: 'write', length: 4096 }, { major: 'read', length: 512 }],
      drivers: (k) => {
        async function SyncForward(DeviceObject: TestDevice, Irp: Irp): Promise<NtStatus> {
          const event = k.KEVENT(`E${Irp.id}`);
          k.KeInitializeEvent(event, 'NotificationEvent', false);
          const iosb = { Status: 0 as NtStatus, Information: 0 };
          const own = (await k.IoBuildSynchronousFsdRequest(IRP_MJ_READ, DeviceObject.DeviceExtension.Lower, null, 512, 0, event, iosb))!;
          if ((await k.IoCallDriver(DeviceObject.DeviceExtension.Lower, own)) === STATUS_PENDING) await k.KeWaitForSingleObject(event);
          return finish(k, Irp, iosb.Status);
        }
        return [hardwareDriver(k, 'hw'), testDriver(k, 't', { dispatch: allMajors(SyncForward) })];
      },
    }),
  },
];

describe('fold = simulator state', () => {
  it('demo: the fold of the events emitted so far equals Simulation.snapshot() at every event, for CPUs 1–4 and several seeds (model/reduce.ts vs model/kernel/snapshot.ts)', async () => {
    for (const cpus of [1, 2, 3, 4]) {
      for (const seed of [1, 2, 3, 4]) {
        const check = await checkFold(demo, { seed, cpus, requests: 30 });
        expect(check.endReason).toBe('completed');
        expectAgreement(check, `demo seed ${seed}, ${cpus} cpu`);
      }
    }
  });

  it('demo: the fold equals the snapshot every 7 events (an N that lands on every kind) and at the end, on a longer run', async () => {
    const check = await checkFold(demo, { seed: 42, cpus: 3, requests: 150 }, 7);
    expectAgreement(check, 'demo seed 42, 3 cpu, every 7');
  });

  it('a completion routine returning STATUS_MORE_PROCESSING_REQUIRED on a surviving IRP: the fold equals the snapshot at its RoutineReturned (the IRP is reclaimed) (windows-semantics §3.10 "Completing → Reclaimed")', async () => {
    const mpr = purposeBuilt.find((p) => p.name.startsWith('MPR'))!;
    let checkedAt = 0;
    const check = await checkFold(mpr.scenario, { seed: 1, cpus: mpr.cpus }, 1, (e) => {
      if (e.kind === 'RoutineReturned' && e.api === 'Completion' && e.status === STATUS_MORE_PROCESSING_REQUIRED) checkedAt++;
    });
    expect(checkedAt).toBeGreaterThan(0);
    expectAgreement(check, 'MPR scenario');
  });

  for (const { name, scenario, cpus } of purposeBuilt) {
    it(`purpose-built scenario (${name}): fold equals snapshot at every event and at the end`, async () => {
      for (const seed of [1, 2, 3]) {
        const check = await checkFold(scenario, { seed, cpus });
        expect(['completed', 'stalled']).toContain(check.endReason);
        expectAgreement(check, `${name}, seed ${seed}`);
      }
    });
  }

  it('every built-in scenario (buggy ones too, whatever way they end): fold equals snapshot at every event and at the end', async () => {
    expect(BUILTIN_SCENARIOS.length).toBeGreaterThan(1);
    for (const scenario of BUILTIN_SCENARIOS) {
      for (const cpus of [1, 2]) {
        const check = await checkFold(scenario, { seed: 9, cpus, requests: 20 });
        expectAgreement(check, `${scenario.name}, ${cpus} cpu (ended ${check.endReason})`);
      }
    }
  });
});
