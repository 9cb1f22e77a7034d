import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, readArrowTrace, readSqliteTrace, readTraceInfo, TOOL_VERSION, type SqliteWriterPlacement } from '../../recorder/index.js';
import { BUILTIN_SCENARIOS, findBuiltin } from '../../scenarios/index.js';
import { recordWithEvents, tempDir } from './helpers.js';

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
