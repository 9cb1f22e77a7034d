// The rule pack on the built-in scenarios: each buggy one fires its planted rule on exactly the
// planted events; the correct stacks (demo, worker-thread, reuse-irp, threaded-dpc) fire no rule at all, over many seeds and CPU counts.
import { afterAll, describe, expect, it } from 'vitest';
import { BUILTIN_SCENARIOS } from '../../scenarios/index.js';
import { checkTrace, loadRules } from '../../queries/index.js';
import { cleanTraces, open, record } from './helpers.js';

afterAll(cleanTraces);

/**
 * The planted events of each buggy built-in, said without the rule's logic: the events of the
 * routine the variant replaced.
 */
const PLANTED: Readonly<Record<string, { readonly rule: string; readonly events: string }>> = {
  'original-completed-before-free': {
    rule: 'OriginalCompletedBeforeChildFreed',
    events: "SELECT seq FROM events WHERE kind = 'IrpCompletionRequested' AND routine = 'FilterAllocatedIrpComplete'",
  },
  'master-completed-early': {
    rule: 'MasterCompletedWithAssociatedOutstanding',
    events: "SELECT seq FROM events WHERE kind = 'IrpCompletionRequested' AND routine = 'FilterDispatchRead'",
  },
  'associated-mpr-orphan': {
    rule: 'AssociatedMprMasterOrphaned',
    events: "SELECT seq FROM events WHERE kind = 'RoutineReturned' AND routine = 'FilterAssociatedIrpComplete'",
  },
  'pending-but-success': {
    rule: 'MarkPendingWithoutStatusPending',
    events: "SELECT seq FROM events WHERE kind = 'RoutineReturned' AND routine = 'DiskDispatchReadWrite'",
  },
  'success-without-mark': {
    rule: 'StatusPendingWithoutMark',
    events: "SELECT seq FROM events WHERE kind = 'RoutineReturned' AND routine = 'DiskDispatchReadWrite'",
  },
  'dpc-from-dispatch': {
    rule: 'IoRequestDpcNotAtDirql',
    events: "SELECT seq FROM events WHERE kind = 'DpcQueued' AND routine = 'DiskDispatchDeviceControl'",
  },
  'calldriver-at-dispatch': {
    rule: 'CallDriverAtRaisedIrql',
    events: "SELECT seq FROM events WHERE kind = 'IrpCalled' AND routine = 'FilterDispatchWrite'",
  },
  'touch-after-complete': {
    rule: 'UseAfterRelease',
    events: "SELECT seq FROM events WHERE kind = 'IrpAccessed' AND routine = 'DiskDispatchDeviceControl'",
  },
  'irql-not-restored': {
    // The early return, taken when the lower driver did not pend.
    rule: 'IrqlNotRestoredOnReturn',
    events: "SELECT seq FROM events WHERE kind = 'RoutineReturned' AND routine = 'FilterDispatchDeviceControl' AND status <> 0x103",
  },
  'thread-not-terminated': {
    rule: 'SystemThreadNotTerminated',
    events: "SELECT seq FROM events WHERE kind = 'RoutineEntered' AND api = 'SystemThread'",
  },
  'reuse-build-irp': {
    // Every reuse: the IRP is always the one the variant built with IoBuildAsynchronousFsdRequest.
    rule: 'ReuseIrpWrongKind',
    events: "SELECT seq FROM events WHERE kind = 'IrpReused' AND routine = 'ChunkPieceComplete'",
  },
  'threaded-dpc-wait': {
    // Every wait of the threaded DPC routine (the event is always signaled, so each is recorded and returns).
    rule: 'WaitAtDispatchOrAbove',
    events: "SELECT seq FROM events WHERE kind = 'WaitStarted' AND routine = 'DiskThreadedDpc'",
  },
  'double-completion': {
    rule: 'DoubleCompletion',
    events: `SELECT c.seq FROM events c WHERE c.kind = 'IrpCompletionRequested' AND c.routine = 'DiskDpcForIsr'
             AND c.seq > (SELECT min(x.seq) FROM events x WHERE x.activation = c.activation AND x.kind = 'IrpCompletionRequested')`,
  },
};

describe('built-in buggy scenarios fire their planted rules on exactly the planted events', () => {
  const buggy = BUILTIN_SCENARIOS.filter((s) => (s.plants ?? []).length > 0);

  it('every buggy built-in is covered here, and plants rules the pack has', () => {
    const ids = new Set(loadRules().map((r) => r.id));
    for (const s of buggy) {
      expect(PLANTED[s.name]?.rule, s.name).toBe(s.plants![0]);
      for (const id of s.plants!) expect(ids.has(id), `${s.name} plants ${id}`).toBe(true);
    }
  });

  for (const scenario of buggy) {
    for (const [seed, cpus] of [[1, 2], [2, 1], [3, 4]] as const) {
      it(`${scenario.name} (seed ${seed}, ${cpus} CPU${cpus > 1 ? 's' : ''})`, async () => {
        const t = await open(await record(scenario, { seed, cpus }));
        try {
          const { rule, events } = PLANTED[scenario.name]!;
          const planted = t.seqs(events);
          expect(planted.length).toBeGreaterThan(0);
          expect(t.fired(rule)).toEqual(planted);
        } finally {
          t.close();
        }
      });
    }
  }
});

describe('the correct stacks fire no rule', () => {
  const correct = BUILTIN_SCENARIOS.filter((s) => (s.plants ?? []).length === 0);
  it('are the demo, the worker-thread, the reuse-irp and the threaded-dpc stacks', () => {
    expect(correct.map((s) => s.name)).toEqual(['demo', 'worker-thread', 'reuse-irp', 'threaded-dpc']);
  });
  for (const [scenario, seeds] of correct.map((s) => [s, s.name === 'demo' ? 20 : 6] as const)) for (let seed = 1; seed <= seeds; seed++) {
    it(`${scenario.name}, seed ${seed}, 1–4 CPUs, 50 requests`, async () => {
      for (let cpus = 1; cpus <= 4; cpus++) {
        const prefix = await record(scenario, { seed, cpus, requests: 50 });
        const result = await checkTrace(`${prefix}.sqlite`);
        expect(result.findings.map((f) => `${f.rule}: ${f.message}`), `seed ${seed}, ${cpus} CPUs`).toEqual([]);
        expect(result.rules.length).toBeGreaterThanOrEqual(30);
      }
    });
  }
});

describe('a trace cut short', () => {
  it('inside the completion routine that reused its IRP, before it returned, gives no ReuseIrpInUse: the trace does not say whether it gave the IRP back (k:reusing-irps)', async () => {
    const scenario = BUILTIN_SCENARIOS.find((s) => s.name === 'reuse-irp')!;
    const whole = await open(await record(scenario, { seed: 1, cpus: 2, requests: 10 }));
    let reusedAt: number;
    try {
      reusedAt = whole.seqs("SELECT seq FROM events WHERE kind = 'IrpReused'")[0]!;
      expect(whole.fired('ReuseIrpInUse')).toEqual([]);
    } finally {
      whole.close();
    }
    // Stop two events after the reuse: still inside ChunkPieceComplete, which returns later.
    const cut = await open(await record(scenario, { seed: 1, cpus: 2, requests: 10, maxEvents: reusedAt + 3 }));
    try {
      const returned = cut.seqs(`SELECT r.seq FROM events r JOIN events u ON u.seq = ${reusedAt} WHERE r.kind = 'RoutineReturned' AND r.activation = u.activation`);
      expect(returned).toEqual([]);
      expect(cut.seqs(`SELECT seq FROM events WHERE seq = ${reusedAt} AND kind = 'IrpReused'`)).toEqual([reusedAt]);
      expect(cut.fired('ReuseIrpInUse')).toEqual([]);
    } finally {
      cut.close();
    }
  });
});
