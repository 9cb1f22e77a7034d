import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Simulation, type TraceEvent } from '../../model/index.js';
import {
  ArrowSink, DICTIONARY_IDS, Recorder, SqliteWorkerSink, readArrowTrace, readSqliteTrace, scanArrowTrace, sessionFactsFor, traceSchema,
} from '../../recorder/index.js';
import { findBuiltin } from '../../scenarios/index.js';
import { recordWithEvents, tempDir } from './helpers.js';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => { tmp = tempDir(); });
afterAll(() => tmp.remove());

describe('the Arrow schema', () => {
  it('dictionary-encodes the repeating strings with fixed ids and carries the session facts', () => {
    const facts = sessionFactsFor(new Simulation(findBuiltin('demo')!, { seed: 4 }));
    const schema = traceSchema(facts);
    for (const [name, id] of Object.entries(DICTIONARY_IDS)) {
      const field = schema.fields.find((f) => f.name === name)!;
      expect(field.type.toString()).toMatch(/^Dictionary<Int16, Utf8>/);
      expect((field.type as { id: number }).id).toBe(id);
    }
    expect(schema.fields.map((f) => f.name).at(-1)).toBe('hash');
    expect(schema.metadata.get('irptrace.schema')).toBe('1');
    expect(schema.metadata.get('irptrace.seed')).toBe('4');
    expect(JSON.parse(schema.metadata.get('irptrace.config')!)).toMatchObject({ scenario: 'demo', seed: 4 });
  });
});

describe('dictionaries that restart', () => {
  it('read back identical from Arrow (replacement dictionaries) and SQLite (the writer thread mirror)', async () => {
    const sim = new Simulation(findBuiltin('demo')!, { seed: 5, requests: 60 });
    const emitted: TraceEvent[] = [];
    sim.events$.subscribe((e) => emitted.push(e));
    const facts = sessionFactsFor(sim);
    const arrowPath = join(tmp.dir, 'restart.arrow');
    const sqlitePath = join(tmp.dir, 'restart.sqlite');
    // 16-event batches and 60 codes per column: `detail` (and others) restart many times.
    const recorder = new Recorder([ArrowSink.open(arrowPath, facts), SqliteWorkerSink.open(sqlitePath, facts)], { batchSize: 16, dictionaryLimit: 60 })
      .attach(sim.events$);
    await sim.run();
    recorder.finish();
    const arrow = await readArrowTrace(arrowPath);
    expect(arrow.rows).toBe(emitted.length);
    expect(arrow.events).toEqual(emitted);
    expect(readSqliteTrace(sqlitePath).events).toEqual(emitted);
  });
});

describe('a stream cut short', () => {
  it('reads up to its last whole batch wherever it is cut', async () => {
    const out = join(tmp.dir, 'cut');
    const { emitted, result } = await recordWithEvents(findBuiltin('demo')!, { seed: 6, requests: 30 }, { out, formats: ['arrow'], batchSize: 100, maxLatencyMs: 60_000 });
    const bytes = readFileSync(result.paths.arrow!);
    const cutPath = join(tmp.dir, 'cut-short.arrow');
    let previous = 0;
    let sawTruncated = false;
    // The schema message comes first (a trace file appears only once it is whole); cut anywhere after.
    const schemaEnd = 8 + bytes.readInt32LE(4);
    for (let cut = schemaEnd; cut < bytes.length; cut += 2999) {
      writeFileSync(cutPath, bytes.subarray(0, cut));
      const read = await readArrowTrace(cutPath);
      expect(read.events).toEqual(emitted.slice(0, read.rows));
      if (read.rows !== emitted.length) expect(read.rows % 100).toBe(0);
      expect(read.rows).toBeGreaterThanOrEqual(previous);
      expect(read.end).toBeNull();
      previous = read.rows;
      sawTruncated ||= read.truncated;
    }
    expect(sawTruncated).toBe(true);
    expect(previous).toBeGreaterThan(emitted.length - 200);
    const whole = await scanArrowTrace(result.paths.arrow!);
    expect(whole).toMatchObject({ rows: emitted.length, truncated: false, end: result.end });
  });
});
