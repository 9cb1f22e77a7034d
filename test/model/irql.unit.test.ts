import { describe, expect, it } from 'vitest';
import { APC_LEVEL, DISPATCH_LEVEL, HIGH_LEVEL, PASSIVE_LEVEL, SYNCH_LEVEL, type Simulation } from '../../model/index.js';
import type { RaiseFrameState } from '../../model/state.js';
import { activationNamed, finish, firstOf, inside, ofKind, runDispatch, runScenario, testDriver, testScenario, allMajors, type RunResult } from './helpers.js';

type Frames = readonly RaiseFrameState[];

/** The raise frames of the running processor, read from the simulator itself. */
function framesNow(sim: Simulation | null, cpu: number): Frames {
  return sim!.snapshot().cpus[cpu]!.frames;
}

function expectBugcheck(r: RunResult, name?: string): void {
  expect(r.summary.endReason).toBe('bugcheck');
  const bug = ofKind(r.events, 'Bugcheck');
  expect(bug).toHaveLength(1);
  if (name !== undefined) expect(bug[0]!.api).toBe(name);
  // The run ends right after the bug check.
  expect(r.events.at(-1)!.kind).toBe('SessionEnded');
  expect(r.events.at(-1)!.api).toBe('bugcheck');
  expect(r.events.at(-2)!.kind).toBe('Bugcheck');
}

describe('KeRaiseIrql / KeLowerIrql', () => {
  it('emit IrqlRaised/IrqlLowered (irql = before, newIrql = after) and push/pop LIFO raise frames (ddi:nf-wdm-keraiseirql; ddi:nf-wdm-kelowerirql; windows-semantics §1.2 Nesting)', async () => {
    let sim: Simulation | null = null;
    const seen: Record<string, unknown> = {};
    const r = await runDispatch(async (k, _d, irp) => {
      const cpu = k.KeGetCurrentProcessorNumber();
      seen.before = framesNow(sim, cpu);
      const old1 = await k.KeRaiseIrql(DISPATCH_LEVEL);
      seen.old1 = old1;
      seen.at1 = k.KeGetCurrentIrql();
      seen.frames1 = framesNow(sim, cpu);
      const old2 = await k.KeRaiseIrql(9);
      seen.old2 = old2;
      seen.at2 = k.KeGetCurrentIrql();
      seen.frames2 = framesNow(sim, cpu);
      await k.KeLowerIrql(old2);
      seen.frames3 = framesNow(sim, cpu);
      await k.KeLowerIrql(old1);
      seen.after = k.KeGetCurrentIrql();
      seen.frames4 = framesNow(sim, cpu);
      return finish(k, irp);
    }, {}, (s) => { sim = s; });
    expect(r.summary.endReason).toBe('completed');
    expect(seen.before).toEqual([]);
    expect(seen.old1).toBe(PASSIVE_LEVEL);
    expect(seen.at1).toBe(DISPATCH_LEVEL);
    expect(seen.frames1).toEqual([{ raisedTo: 2, savedOld: 0, api: 'KeRaiseIrql', lock: null }]);
    expect(seen.old2).toBe(DISPATCH_LEVEL);
    expect(seen.at2).toBe(9);
    expect(seen.frames2).toEqual([{ raisedTo: 2, savedOld: 0, api: 'KeRaiseIrql', lock: null }, { raisedTo: 9, savedOld: 2, api: 'KeRaiseIrql', lock: null }]);
    expect(seen.frames3).toEqual([{ raisedTo: 2, savedOld: 0, api: 'KeRaiseIrql', lock: null }]);
    expect(seen.after).toBe(PASSIVE_LEVEL);
    expect(seen.frames4).toEqual([]);

    const body = inside(r.events, activationNamed(r.events, 'TestDispatchRead'));
    const irqlEvents = body.filter((e) => e.kind === 'IrqlRaised' || e.kind === 'IrqlLowered').map((e) => [e.kind, e.api, e.irql, e.newIrql]);
    expect(irqlEvents.slice(0, 4)).toEqual([
      ['IrqlRaised', 'KeRaiseIrql', 0, 2],
      ['IrqlRaised', 'KeRaiseIrql', 2, 9],
      ['IrqlLowered', 'KeLowerIrql', 9, 2],
      ['IrqlLowered', 'KeLowerIrql', 2, 0],
    ]);
  });

  it('KeRaiseIrqlToDpcLevel raises to DISPATCH_LEVEL and returns the old IRQL (ddi:nf-wdm-keraiseirqltodpclevel)', async () => {
    const seen: number[] = [];
    const r = await runDispatch(async (k, _d, irp) => {
      const old = await k.KeRaiseIrqlToDpcLevel();
      seen.push(old, k.KeGetCurrentIrql());
      await k.KeLowerIrql(old);
      return finish(k, irp);
    });
    expect(r.summary.endReason).toBe('completed');
    expect(seen).toEqual([PASSIVE_LEVEL, DISPATCH_LEVEL]);
    const raised = firstOf(r.events, 'IrqlRaised', (e) => e.api === 'KeRaiseIrqlToDpcLevel');
    expect([raised.irql, raised.newIrql]).toEqual([0, 2]);
    expect(firstOf(r.events, 'IrqlLowered', (e) => e.api === 'KeLowerIrql').newIrql).toBe(0);
  });

  it('KeRaiseIrqlToSynchLevel raises to SYNCH_LEVEL, 12 on x64, returns the old IRQL, and pairs with KeLowerIrql; from above SYNCH_LEVEL it bug-checks like any raise to a lower level (windows-semantics §1: ROS KeRaiseIrqlToSynchLevel "IPI_LEVEL - 2"; ddi:nf-wdm-kelowerirql)', async () => {
    const seen: number[] = [];
    const r = await runDispatch(async (k, _d, irp) => {
      const old = await k.KeRaiseIrqlToSynchLevel();
      seen.push(old, k.KeGetCurrentIrql());
      await k.KeLowerIrql(old);
      seen.push(k.KeGetCurrentIrql());
      return finish(k, irp);
    });
    expect(r.summary.endReason).toBe('completed');
    expect(seen).toEqual([PASSIVE_LEVEL, SYNCH_LEVEL, PASSIVE_LEVEL]);
    expect(SYNCH_LEVEL).toBe(12);
    const raised = firstOf(r.events, 'IrqlRaised', (e) => e.api === 'KeRaiseIrqlToSynchLevel');
    expect([raised.irql, raised.newIrql]).toEqual([0, 12]);
    const high = await runDispatch(async (k, _d, irp) => {
      await k.KeRaiseIrql(HIGH_LEVEL);
      await k.KeRaiseIrqlToSynchLevel();
      return finish(k, irp);
    });
    expectBugcheck(high, 'IRQL_NOT_GREATER_OR_EQUAL');
  });

  it('raising to a level below the current IRQL bug-checks (ddi:nf-wdm-keraiseirql; windows-semantics §1.2, C4:0x30)', async () => {
    const r = await runDispatch(async (k, _d, irp) => {
      await k.KeRaiseIrql(9);
      await k.KeRaiseIrql(DISPATCH_LEVEL);
      return finish(k, irp);
    });
    expectBugcheck(r, 'IRQL_NOT_GREATER_OR_EQUAL');
    expect(r.summary.bugcheck?.code).toBe(0x09);
    expect(ofKind(r.events, 'IrqlRaised', (e) => e.api === 'KeRaiseIrql').map((e) => e.newIrql)).toEqual([9]);
    // The bug check happens inside the dispatch routine that made the call.
    const bug = firstOf(r.events, 'Bugcheck');
    expect(bug.routine).toBe('TestDispatchRead');
    expect(bug.irql).toBe(9);
  });

  it('raising above HIGH_LEVEL bug-checks (windows-semantics §1.2: C4:0x30 "below current or above HIGH")', async () => {
    const r = await runDispatch(async (k, _d, irp) => {
      await k.KeRaiseIrql(HIGH_LEVEL + 1);
      return finish(k, irp);
    });
    expectBugcheck(r);
  });

  it('raising to the current level is allowed (nesting, SDV:IrqlKeRaiseLower)', async () => {
    const r = await runDispatch(async (k, _d, irp) => {
      const a = await k.KeRaiseIrql(DISPATCH_LEVEL);
      const b = await k.KeRaiseIrql(DISPATCH_LEVEL);
      await k.KeLowerIrql(b);
      await k.KeLowerIrql(a);
      return finish(k, irp);
    });
    expect(r.summary.endReason).toBe('completed');
  });

  it('KeLowerIrql to a value other than the preceding raise\'s OldIrql bug-checks (ddi:nf-wdm-kelowerirql "fatal error")', async () => {
    const r = await runDispatch(async (k, _d, irp) => {
      await k.KeRaiseIrql(DISPATCH_LEVEL);
      await k.KeLowerIrql(APC_LEVEL);
      return finish(k, irp);
    });
    expectBugcheck(r);
    expect(ofKind(r.events, 'IrqlLowered', (e) => e.api === 'KeLowerIrql')).toHaveLength(0);
    expect(firstOf(r.events, 'Bugcheck').routine).toBe('TestDispatchRead');
  });

  it('KeLowerIrql must restore the *immediately preceding* raise: lowering straight to the outer OldIrql bug-checks (ddi:nf-wdm-kelowerirql; k:managing-hardware-priorities)', async () => {
    const r = await runDispatch(async (k, _d, irp) => {
      const outer = await k.KeRaiseIrql(DISPATCH_LEVEL);
      await k.KeRaiseIrql(9);
      await k.KeLowerIrql(outer);
      return finish(k, irp);
    });
    expectBugcheck(r);
  });

  it('KeLowerIrql with no raise to undo bug-checks (windows-semantics §4 rule 3 UnpairedRaiseLower)', async () => {
    const r = await runDispatch(async (k, _d, irp) => {
      await k.KeLowerIrql(PASSIVE_LEVEL);
      return finish(k, irp);
    });
    expectBugcheck(r);
  });

  it('KeLowerIrql to a level above the current one bug-checks (windows-semantics §1.2: raising via KeLowerIrql is C4:0x31)', async () => {
    const r = await runDispatch(async (k, _d, irp) => {
      await k.KeRaiseIrql(DISPATCH_LEVEL);
      await k.KeLowerIrql(9);
      return finish(k, irp);
    });
    expectBugcheck(r);
  });

  it('KeLowerIrql while the top frame is a spin lock acquire bug-checks (ddi:nf-wdm-kelowerirql: the preceding raise is the lock\'s)', async () => {
    const r = await runDispatch(async (k, _d, irp) => {
      const lock = k.KeInitializeSpinLock('L');
      const old = await k.KeRaiseIrql(DISPATCH_LEVEL);
      await k.KeAcquireSpinLock(lock);
      await k.KeLowerIrql(old);
      return finish(k, irp);
    });
    expectBugcheck(r);
  });
});

describe('spin locks', () => {
  it('KeAcquireSpinLock raises to DISPATCH_LEVEL and takes the lock; KeReleaseSpinLock releases and restores OldIrql (windows-semantics §1.2 Implicit frames; SDV:IrqlKeReleaseSpinLock)', async () => {
    let sim: Simulation | null = null;
    const seen: Record<string, unknown> = {};
    const r = await runDispatch(async (k, _d, irp) => {
      const cpu = k.KeGetCurrentProcessorNumber();
      const lock = k.KeInitializeSpinLock('TestLock');
      const old = await k.KeAcquireSpinLock(lock);
      seen.old = old;
      seen.irql = k.KeGetCurrentIrql();
      const snap = sim!.snapshot();
      seen.frames = snap.cpus[cpu]!.frames;
      seen.locks = [...snap.locks];
      await k.KeReleaseSpinLock(lock, old);
      const after = sim!.snapshot();
      seen.after = [k.KeGetCurrentIrql(), after.cpus[cpu]!.frames, [...after.locks]];
      return finish(k, irp);
    }, {}, (s) => { sim = s; });
    expect(r.summary.endReason).toBe('completed');
    expect(seen.old).toBe(PASSIVE_LEVEL);
    expect(seen.irql).toBe(DISPATCH_LEVEL);
    expect(seen.frames).toEqual([{ raisedTo: 2, savedOld: 0, api: 'KeAcquireSpinLock', lock: 'TestLock' } satisfies RaiseFrameState]);
    expect(seen.locks).toEqual([['TestLock', 0]]);
    expect(seen.after).toEqual([PASSIVE_LEVEL, [], []]);

    const body = inside(r.events, activationNamed(r.events, 'TestDispatchRead'))
      .filter((e) => e.lock === 'TestLock')
      .map((e) => [e.kind, e.api, e.irql, e.newIrql]);
    expect(body).toEqual([
      ['IrqlRaised', 'KeAcquireSpinLock', 0, 2],
      ['SpinLockAcquired', 'KeAcquireSpinLock', 2, null],
      ['SpinLockReleased', 'KeReleaseSpinLock', 2, null],
      ['IrqlLowered', 'KeReleaseSpinLock', 2, 0],
    ]);
  });

  it('KeAcquireSpinLock at DISPATCH_LEVEL returns DISPATCH_LEVEL and the release stays at DISPATCH_LEVEL (windows-semantics §1.2)', async () => {
    const seen: number[] = [];
    const r = await runDispatch(async (k, _d, irp) => {
      const lock = k.KeInitializeSpinLock('L');
      const outer = await k.KeRaiseIrql(DISPATCH_LEVEL);
      const old = await k.KeAcquireSpinLock(lock);
      seen.push(old);
      await k.KeReleaseSpinLock(lock, old);
      seen.push(k.KeGetCurrentIrql());
      await k.KeLowerIrql(outer);
      seen.push(k.KeGetCurrentIrql());
      return finish(k, irp);
    });
    expect(r.summary.endReason).toBe('completed');
    expect(seen).toEqual([DISPATCH_LEVEL, DISPATCH_LEVEL, PASSIVE_LEVEL]);
  });

  it('KeReleaseSpinLock with a NewIrql other than the acquire\'s OldIrql is recorded faithfully: the lock frame is undone and the IRQL set to NewIrql, leaving an outer raise frame above the real IRQL for the rule pack to see (SDV:IrqlKeReleaseSpinLock; C4:0x32; windows-semantics §4 rule 6)', async () => {
    let sim: Simulation | null = null;
    let after: { irql: number; frames: Frames } | null = null;
    const r = await runDispatch(async (k, _d, irp) => {
      const lock = k.KeInitializeSpinLock('L');
      const outer = await k.KeRaiseIrql(APC_LEVEL);
      await k.KeAcquireSpinLock(lock); // OldIrql = APC_LEVEL
      await k.KeReleaseSpinLock(lock, PASSIVE_LEVEL); // wrong: should be APC_LEVEL
      after = { irql: k.KeGetCurrentIrql(), frames: framesNow(sim, k.KeGetCurrentProcessorNumber()) };
      await k.KeLowerIrql(outer);
      return finish(k, irp);
    }, {}, (s) => { sim = s; });
    expect(r.summary.endReason).toBe('completed');
    expect(after).toEqual({ irql: PASSIVE_LEVEL, frames: [{ raisedTo: 1, savedOld: 0, api: 'KeRaiseIrql', lock: null }] });
    const acquired = firstOf(r.events, 'IrqlRaised', (e) => e.api === 'KeAcquireSpinLock');
    const released = firstOf(r.events, 'IrqlLowered', (e) => e.api === 'KeReleaseSpinLock');
    // The trace shows the mismatch: the acquire saved 1, the release went to 0.
    expect([acquired.irql, acquired.newIrql]).toEqual([1, 2]);
    expect([released.irql, released.newIrql]).toEqual([2, 0]);
  });

  it('KeAcquireSpinLockAtDpcLevel / KeReleaseSpinLockFromDpcLevel take and drop the lock without any IRQL change (ddi:nf-wdm-keacquirespinlockatdpclevel)', async () => {
    const r = await runDispatch(async (k, _d, irp) => {
      const lock = k.KeInitializeSpinLock('L');
      const outer = await k.KeRaiseIrql(DISPATCH_LEVEL);
      await k.KeAcquireSpinLockAtDpcLevel(lock);
      await k.KeReleaseSpinLockFromDpcLevel(lock);
      await k.KeLowerIrql(outer);
      return finish(k, irp);
    });
    expect(r.summary.endReason).toBe('completed');
    expect(ofKind(r.events, 'IrqlRaised', (e) => e.lock === 'L')).toHaveLength(0);
    expect(ofKind(r.events, 'SpinLockAcquired', (e) => e.lock === 'L').map((e) => [e.api, e.irql])).toEqual([['KeAcquireSpinLockAtDpcLevel', 2]]);
    expect(ofKind(r.events, 'SpinLockReleased', (e) => e.lock === 'L').map((e) => e.api)).toEqual(['KeReleaseSpinLockFromDpcLevel']);
  });

  it('acquiring a spin lock the same CPU already holds bug-checks SPIN_LOCK_ALREADY_OWNED (windows-semantics §4 rule 7 SpinLockRecursiveAcquire; SDV:SpinLock)', async () => {
    const r = await runDispatch(async (k, _d, irp) => {
      const lock = k.KeInitializeSpinLock('L');
      await k.KeAcquireSpinLock(lock);
      await k.KeAcquireSpinLock(lock);
      return finish(k, irp);
    });
    expectBugcheck(r, 'SPIN_LOCK_ALREADY_OWNED');
    expect(r.summary.bugcheck?.code).toBe(0x0f);
    expect(ofKind(r.events, 'SpinLockAcquired', (e) => e.lock === 'L')).toHaveLength(1);
  });

  it('releasing a spin lock that is not held bug-checks SPIN_LOCK_NOT_OWNED (windows-semantics §4 rule 7: "released without being held"; SDV:SpinlockRelease)', async () => {
    const r = await runDispatch(async (k, _d, irp) => {
      const lock = k.KeInitializeSpinLock('L');
      await k.KeReleaseSpinLock(lock, PASSIVE_LEVEL);
      return finish(k, irp);
    });
    expectBugcheck(r, 'SPIN_LOCK_NOT_OWNED');
  });

  it('a spin lock held on one CPU makes another CPU spin until it is released (mutual exclusion; k:introduction-to-spin-locks)', async () => {
    // Two requesters on two CPUs, each dispatch holds the same lock for 20 µs.
    let holders = 0;
    let maxHolders = 0;
    const scenario = testScenario({
      stack: ['t'],
      requesters: 2,
      requests: [{ major: 'read', length: 4096 }, { major: 'read', length: 4096 }, { major: 'read', length: 4096 }, { major: 'read', length: 4096 }],
      drivers: (k) => {
        const lock = k.KeInitializeSpinLock('Shared');
        async function LockingDispatch(_d: unknown, irp: Parameters<typeof finish>[1]) {
          const old = await k.KeAcquireSpinLock(lock);
          holders++;
          maxHolders = Math.max(maxHolders, holders);
          await k.KeStallExecutionProcessor(20);
          holders--;
          await k.KeReleaseSpinLock(lock, old);
          return finish(k, irp);
        }
        return [testDriver(k, 't', { dispatch: allMajors(LockingDispatch) })];
      },
    });
    const r = await runScenario(scenario, { cpus: 2, seed: 3 });
    expect(r.summary.endReason).toBe('completed');
    expect(maxHolders).toBe(1);
    const lockEvents = r.events.filter((e) => (e.kind === 'SpinLockAcquired' || e.kind === 'SpinLockReleased') && e.lock === 'Shared');
    expect(lockEvents.map((e) => e.kind)).toEqual(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? 'SpinLockAcquired' : 'SpinLockReleased')));
    // Both processors took it, so the two requesters really ran at the same time.
    expect(new Set(lockEvents.map((e) => e.cpu)).size).toBe(2);
    // Somebody spun: an acquire whose IrqlRaised came before the previous holder released.
    const raises = ofKind(r.events, 'IrqlRaised', (e) => e.lock === 'Shared');
    const contended = raises.some((raise) => {
      const acquired = lockEvents.find((e) => e.seq > raise.seq && e.kind === 'SpinLockAcquired' && e.cpu === raise.cpu)!;
      return lockEvents.some((e) => e.kind === 'SpinLockReleased' && e.seq > raise.seq && e.seq < acquired.seq);
    });
    expect(contended).toBe(true);
  });
});
