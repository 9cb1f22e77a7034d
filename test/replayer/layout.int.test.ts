/**
 * An Arrow trace laid out otherwise than the recorder lays it (every integer Int64, every string
 * plain Utf8, several batches): the replayer's generic row reader and chain check read it back
 * exactly as the fast ones read the recorder's own layout.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Field, Int64, makeData, RecordBatch, RecordBatchStreamWriter, Schema, Struct, Utf8, vectorFromArray } from 'apache-arrow';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalState, EVENT_COLUMNS, initialState, reduce, Simulation, type TraceEvent } from '../../model/index.js';
import { sessionMetadata } from '../../recorder/arrow-schema.js';
import { sessionFactsFor } from '../../recorder/index.js';
import { replayTrace, Timeline, TraceChainError } from '../../replayer/index.js';
import { findBuiltin } from '../../scenarios/index.js';
import { tempDir } from './helpers.js';

let tmp: ReturnType<typeof tempDir>;
let emitted: TraceEvent[];
let path: string;

/** Writes `events` as an Arrow stream with Int64 integers and Utf8 strings, `perBatch` rows a batch. */
function writeOtherLayout(file: string, sim: Simulation, events: readonly TraceEvent[], perBatch: number): void {
  const columns = [...EVENT_COLUMNS.map((c) => ({ name: c.name, field: c.field as keyof TraceEvent, int: c.type === 'INTEGER' })), { name: 'hash', field: 'hash' as const, int: false }];
  const fields = columns.map((c) => new Field(c.name, c.int ? new Int64() : new Utf8(), true));
  const schema = new Schema(fields, sessionMetadata(sessionFactsFor(sim)));
  const batches: RecordBatch[] = [];
  for (let from = 0; from < events.length; from += perBatch) {
    const rows = events.slice(from, from + perBatch);
    const children = columns.map((c) => {
      const values = rows.map((e) => e[c.field] as number | string | null);
      return c.int
        ? vectorFromArray(values.map((v) => (v === null ? null : BigInt(v as number))), new Int64()).data[0]!
        : vectorFromArray(values as (string | null)[], new Utf8()).data[0]!;
    });
    batches.push(new RecordBatch(schema, makeData({ type: new Struct(fields), length: rows.length, nullCount: 0, children })));
  }
  writeFileSync(file, RecordBatchStreamWriter.writeAll(batches).toUint8Array(true));
}

beforeAll(async () => {
  tmp = tempDir();
  const sim = new Simulation(findBuiltin('demo')!, { seed: 8, requests: 30 });
  emitted = [];
  sim.events$.subscribe((e) => emitted.push(e));
  await sim.run();
  path = join(tmp.dir, 'other-layout.arrow');
  writeOtherLayout(path, sim, emitted, 500);
});
afterAll(() => tmp.remove());

describe('an Arrow trace in another layout', () => {
  it('streams back the same events, chain checked', async () => {
    expect(await lastValueFrom(replayTrace(path).pipe(toArray()))).toEqual(emitted);
  });

  it('travels to the same states', () => {
    const timeline = Timeline.open(path, { save: false, interval: 300 });
    try {
      const state = initialState(2);
      for (const e of emitted) {
        reduce(state, e);
        if (e.seq % 97 === 0) expect(canonicalState(timeline.stateAt(e.seq))).toEqual(canonicalState(state));
      }
      expect(timeline.findNext('kind=IrpFreed irp=5', 0)).toEqual(emitted.find((e) => e.kind === 'IrpFreed' && e.irp === 5));
    } finally {
      timeline.close();
    }
  });

  it('is caught with a broken chain', async () => {
    const broken = join(tmp.dir, 'broken.arrow');
    const copy = emitted.map((e) => (e.seq === 700 ? { ...e, loc: (e.loc ?? 0) + 1 } : e));
    writeOtherLayout(broken, new Simulation(findBuiltin('demo')!, { seed: 8, requests: 30 }), copy, 500);
    const error = await lastValueFrom(replayTrace(broken).pipe(toArray())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TraceChainError);
    expect((error as TraceChainError).seq).toBe(700);
  });
});
