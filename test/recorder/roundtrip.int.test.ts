import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, openSqliteTrace, readArrowTrace, readSqliteTrace, readTraceInfo, TOOL_VERSION, type SqliteWriterPlacement } from '../../recorder/index.js';
import { BUILTIN_SCENARIOS, findBuiltin } from '../../scenarios/index.js';
import { checkSqliteTrace, recordWithEvents, tempDir } from './helpers.js';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => { tmp = tempDir(); });
afterAll(() => tmp.remove());

describe('every emitted event comes back identical from both files', () => {
  const cases: [string, SqliteWriterPlacement][] = [
    ...BUILTIN_SCENARIOS.map((s): [string, SqliteWriterPlacement] => [s.name, 'inline']),
    ['demo', 'worker'],
    ['master-completed-early', 'worker'],
  ];
  it.each(cases)('%s (%s SQLite writer)', async (name, writer) => {
    const scenario = findBuiltin(name)!;
    const out = join(tmp.dir, `${name}-${writer}`);
    const { emitted, result } = await recordWithEvents(scenario, { seed: 7 }, { out, sqliteWriter: writer });

    expect(result.end).toMatchObject({ endReason: result.summary.endReason, eventCount: emitted.length, finalHash: emitted.at(-1)!.hash });
    const sqlite = readSqliteTrace(result.paths.sqlite!);
    const arrow = await readArrowTrace(result.paths.arrow!);
    // count(*) = Arrow numRows = emitted: a silently dropped batch cannot go unseen.
    expect(sqlite.events.length).toBe(emitted.length);
    expect(arrow.rows).toBe(emitted.length);
    expect(sqlite.events).toEqual(emitted);
    expect(arrow.events).toEqual(emitted);
    expect(arrow.truncated).toBe(false);

    for (const stored of [sqlite, arrow]) {
      expect(stored.facts).toEqual(result.session);
      expect(stored.end).toEqual(result.end);
    }
    expect(result.session).toMatchObject({ scenario: name, seed: 7, cpus: 2, toolVersion: TOOL_VERSION, schemaVersion: SCHEMA_VERSION });
    expect(JSON.parse(result.session.config)).toMatchObject({ scenario: name, seed: 7, cpus: 2 });
  });
});

describe('readTraceInfo', () => {
  it('reports the same facts and counts by kind for both files', async () => {
    const { emitted, result } = await recordWithEvents(findBuiltin('demo')!, { seed: 2, requests: 50 }, { out: join(tmp.dir, 'info') });
    const expected: Record<string, number> = {};
    for (const e of emitted) expected[e.kind] = (expected[e.kind] ?? 0) + 1;
    for (const path of [result.paths.sqlite!, result.paths.arrow!]) {
      const info = await readTraceInfo(path);
      expect(info.format).toBe(path.endsWith('.sqlite') ? 'sqlite' : 'arrow');
      expect(info.events).toBe(emitted.length);
      expect(info.kinds).toEqual(expected);
      expect(info.facts).toEqual(result.session);
      expect(info.end).toEqual(result.end);
      expect(info.truncated).toBe(false);
    }
  });
});

describe('formats', () => {
  it('writes only the formats asked for', async () => {
    const out = join(tmp.dir, 'only-arrow');
    const { result } = await recordWithEvents(findBuiltin('double-completion')!, {}, { out, formats: ['arrow'] });
    expect(result.paths).toEqual({ arrow: `${out}.arrow` });
    const { result: r2 } = await recordWithEvents(findBuiltin('double-completion')!, {}, { out: join(tmp.dir, 'only-sqlite.sqlite'), formats: ['sqlite'] });
    expect(r2.paths).toEqual({ sqlite: join(tmp.dir, 'only-sqlite.sqlite') });
  });
});

describe('indexes', () => {
  it('the lookups the views and the replayer make use them (the partial ones included)', async () => {
    const { result } = await recordWithEvents(findBuiltin('demo')!, { seed: 4, requests: 30 }, { out: join(tmp.dir, 'indexes'), formats: ['sqlite'] });
    const db = openSqliteTrace(result.paths.sqlite!);
    try {
      const plan = (sql: string): string => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join('; ');
      expect(plan('SELECT seq FROM events WHERE irp = 3')).toContain('USING COVERING INDEX events_irp');
      expect(plan('SELECT seq FROM events WHERE seq BETWEEN 10 AND 900 AND irp = 3 ORDER BY seq')).toContain('INDEX events_irp');
      // routine_runs: the last event of an activation.
      expect(plan('SELECT e.seq, (SELECT max(x.seq) FROM events x WHERE x.activation = e.seq) FROM events e')).toContain('USING COVERING INDEX events_activation');
      expect(plan("SELECT seq FROM events WHERE kind = 'DpcQueued'")).toContain('USING COVERING INDEX events_kind');
      expect(plan("SELECT seq FROM events WHERE kind IN ('IrpCalled', 'IrpCallReturned')")).toContain('INDEX events_kind');
      // Rows without an IRP or an activation are left out of those two (no lookup needs them).
      const partial = Object.fromEntries((db.pragma('index_list(events)') as { name: string; partial: number }[]).map((i) => [i.name, i.partial]));
      expect(partial).toEqual({ events_irp: 1, events_activation: 1, events_kind: 0 });
    } finally {
      db.close();
    }
  });
});

describe('the WAL while recording with the writer thread', () => {
  it('is copied into the file batch by batch (the main thread checkpoints) and stays bounded', async () => {
    // 200k events are about 28 MB of pages, 49 batches. The main thread checkpoints after each batch
    // it hands over, so the database file grows batch by batch; the writer thread's own automatic
    // checkpoint (at 16 MB of WAL) would make it grow only once.
    const out = join(tmp.dir, 'wal');
    let largestWal = 0;
    const fileSizes = new Set<number>();
    const { result } = await recordWithEvents(findBuiltin('demo')!, { seed: 2, requests: 6000, maxEvents: 200_000 }, {
      out, formats: ['sqlite'], sqliteWriter: 'worker',
      onProgress: () => {
        fileSizes.add(statSync(`${out}.sqlite`).size);
        if (existsSync(`${out}.sqlite-wal`)) largestWal = Math.max(largestWal, statSync(`${out}.sqlite-wal`).size);
      },
    });
    expect(result.summary.events).toBe(200_000);
    expect(fileSizes.size).toBeGreaterThan(20);
    expect(largestWal).toBeGreaterThan(0);
    expect(largestWal).toBeLessThan(20 * 2 ** 20);
    // Finished: folded back into one file.
    expect(existsSync(`${out}.sqlite-wal`)).toBe(false);
    expect(checkSqliteTrace(`${out}.sqlite`).events).toBe(200_000);
  }, 60_000);
});
