/**
 * Time travel (replayer/timeline.ts, cursor.ts, checkpoints.ts): the state at any seq equals the
 * fold from the start and the simulator's own snapshot taken at that seq while recording; stepping,
 * searching and IRP histories agree with a plain scan of the events; the checkpoints sidecar is
 * kept, reused, and rebuilt when stale.
 */
import { existsSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalState, initialState, reduce, type TraceEvent } from '../../model/index.js';
import { Checkpoints, Cursor, FilterError, SeqOutOfRangeError, Timeline, matches, parseFilter } from '../../replayer/index.js';
import { findBuiltin } from '../../scenarios/index.js';
import { positions, record, tempDir, type Recording } from './helpers.js';

let tmp: ReturnType<typeof tempDir>;
let demo: Recording;
/** Seqs where the simulator's snapshot was taken (random, reproducible), plus the edges. */
let picked: number[];
/** The fold from the start at each picked seq. */
const folded = new Map<number, unknown>();

beforeAll(async () => {
  tmp = tempDir();
  // About 12,000 events: a dozen SQLite checkpoint intervals, three Arrow ones.
  const guess = positions(11, 40, 11_000);
  demo = await record(findBuiltin('demo')!, { seed: 3, cpus: 3, requests: 300 }, { out: join(tmp.dir, 'demo') }, [0, 1, 4095, 4096, 4097, ...guess]);
  const count = demo.emitted.length;
  picked = [0, 1, 4095, 4096, 4097, ...guess.filter((s) => s < count), count - 1];
  const state = initialState(3);
  const wanted = new Set(picked);
  for (const e of demo.emitted) {
    reduce(state, e);
    if (wanted.has(e.seq)) folded.set(e.seq, structuredClone(canonicalState(state)));
  }
});
afterAll(() => tmp.remove());

const formats = ['sqlite', 'arrow'] as const;
const pathOf = (format: (typeof formats)[number]): string => demo.result.paths[format]!;

describe('stateAt', () => {
  it.each(formats)('equals the fold from the start and the recording-time snapshot at random seqs (%s)', (format) => {
    const timeline = Timeline.open(pathOf(format));
    try {
      expect(demo.emitted.length).toBeGreaterThan(10_000);
      for (const seq of picked) {
        const state = canonicalState(timeline.stateAt(seq));
        expect(state, `seq ${seq}: fold from the start`).toEqual(folded.get(seq));
        if (demo.snapshots.has(seq)) expect(state, `seq ${seq}: the simulator's snapshot`).toEqual(demo.snapshots.get(seq));
      }
    } finally {
      timeline.close();
    }
  });

  it.each(formats)('agrees with other checkpoint intervals (%s)', (format) => {
    for (const interval of [7, 97, 5000]) {
      const timeline = Timeline.open(pathOf(format), { interval, save: false });
      try {
        expect(timeline.checkpoints.interval).toBe(interval);
        for (const seq of picked.slice(0, 12)) expect(canonicalState(timeline.stateAt(seq))).toEqual(folded.get(seq));
      } finally {
        timeline.close();
      }
    }
  });

  it('refuses a seq the trace does not have', () => {
    const timeline = Timeline.open(pathOf('arrow'));
    try {
      expect(() => timeline.stateAt(demo.emitted.length)).toThrow(SeqOutOfRangeError);
      expect(() => timeline.stateAt(-1)).toThrow(/out of range/);
    } finally {
      timeline.close();
    }
  });
});

describe('the checkpoints sidecar', () => {
  it('is written on first open, then reused; a stale one (trace re-recorded) is rebuilt', async () => {
    const out = join(tmp.dir, 'sidecar');
    await record(findBuiltin('demo')!, { seed: 1, requests: 40 }, { out, formats: ['sqlite'] });
    const path = `${out}.sqlite`;
    const first = Timeline.open(path);
    first.close();
    expect(first.checkpoints.origin).toBe('built-saved');
    expect(existsSync(Checkpoints.sidecarPath(path))).toBe(true);
    const second = Timeline.open(path);
    expect(second.checkpoints.origin).toBe('loaded');
    const before = canonicalState(second.stateAt(200));
    second.close();
    // Same path, another run: the sidecar describes other bytes.
    const again = await record(findBuiltin('demo')!, { seed: 2, requests: 40 }, { out, formats: ['sqlite'], force: true });
    const third = Timeline.open(path);
    try {
      expect(third.checkpoints.origin).toBe('built-saved');
      const state = initialState(2);
      for (const e of again.emitted.slice(0, 201)) reduce(state, e);
      expect(canonicalState(third.stateAt(200))).toEqual(canonicalState(state));
      expect(canonicalState(third.stateAt(200))).not.toEqual(before);
    } finally {
      third.close();
    }
    expect(statSync(path).size).toBeGreaterThan(0);
  });

  it('a sidecar cut short (its header whole, its states not) is built again, not read past its end', async () => {
    const out = join(tmp.dir, 'sidecar-cut');
    const { emitted } = await record(findBuiltin('demo')!, { seed: 3, requests: 40 }, { out, formats: ['sqlite'] });
    const path = `${out}.sqlite`;
    Timeline.open(path, { interval: 256 }).close();
    const sidecar = Checkpoints.sidecarPath(path);
    truncateSync(sidecar, statSync(sidecar).size - 200);
    const timeline = Timeline.open(path, { interval: 256 });
    try {
      expect(timeline.checkpoints.origin).toBe('built-saved');
      const last = emitted.length - 1;
      const state = initialState(2);
      for (const e of emitted) reduce(state, e);
      expect(canonicalState(timeline.stateAt(last))).toEqual(canonicalState(state));
    } finally {
      timeline.close();
    }
  });
});

describe('stepping and searching', () => {
  it.each(formats)('next and prev land where a fresh seek lands (%s)', (format) => {
    const timeline = Timeline.open(pathOf(format));
    try {
      const cursor = new Cursor(timeline, 0);
      for (const step of [1, 5, 300, 4096, 2]) {
        cursor.next(step);
        expect(canonicalState(cursor.state)).toEqual(canonicalState(timeline.stateAt(cursor.seq)));
      }
      cursor.prev(1000);
      expect(canonicalState(cursor.state)).toEqual(canonicalState(timeline.stateAt(cursor.seq)));
      expect(cursor.event).toEqual(demo.emitted[cursor.seq]);
      const before = cursor.seq;
      expect(cursor.prev(1e9)).toBe(before);
      expect(cursor.seq).toBe(0);
      expect(cursor.next(1e9)).toBe(demo.emitted.length - 1);
      expect(canonicalState(cursor.state)).toEqual(folded.get(demo.emitted.length - 1));
    } finally {
      timeline.close();
    }
  });

  it.each(formats)('find and rfind give the next and previous matching events (%s)', (format) => {
    const timeline = Timeline.open(pathOf(format));
    const scan = (text: string, from: number, direction: 1 | -1): TraceEvent | null => {
      const filter = parseFilter(text);
      for (let s = from + direction; s >= 0 && s < demo.emitted.length; s += direction) if (matches(filter, demo.emitted[s]!)) return demo.emitted[s]!;
      return null;
    };
    try {
      const filters = ['kind=IrpCompleted', 'IrpFreed irp=7', 'cpu=2 kind=DpcQueued,IrqlRaised', 'routine=DiskStartIo', 'device=disk0.fdo kind=IrpCalled', 'kind=Bugcheck', 'irp=99999', 'thread=2 api=KeSetEvent', 'master=30'];
      for (const text of filters) {
        for (const from of [0, 4100, 9000]) {
          expect(timeline.findNext(text, from), `${text} after ${from}`).toEqual(scan(text, from, 1));
          expect(timeline.findPrev(text, from), `${text} before ${from}`).toEqual(scan(text, from, -1));
        }
      }
      const cursor = new Cursor(timeline, 10);
      const found = cursor.findNext('kind=IrpCompleted');
      expect(found?.seq).toBe(cursor.seq);
      expect(canonicalState(cursor.state)).toEqual(canonicalState(timeline.stateAt(cursor.seq)));
      expect(() => timeline.findNext('colour=red', 0)).toThrow(FilterError);
      expect(() => parseFilter('kind=NoSuchKind')).toThrow(/unknown event kind/);
      expect(() => parseFilter('irp=abc')).toThrow(/integer/);
    } finally {
      timeline.close();
    }
  });

  it.each(formats)('an IRP history is every event with that irp, and those where it is the master (%s)', (format) => {
    const timeline = Timeline.open(pathOf(format));
    try {
      const masters = new Set(demo.emitted.filter((e) => e.master !== null && e.irp !== e.master).map((e) => e.master!));
      expect(masters.size).toBeGreaterThan(0);
      for (const id of [1, 5, ...[...masters].slice(0, 3)]) {
        const expected = demo.emitted.filter((e) => e.irp === id || e.master === id);
        const history = timeline.irpHistory(id);
        expect(history).toEqual(expected);
        expect(history[0]!.kind).toBe('IrpAllocated');
        expect(history.some((e) => e.kind === 'IrpFreed')).toBe(true);
      }
      expect(timeline.irpHistory(123_456)).toEqual([]);
    } finally {
      timeline.close();
    }
  });
});
