// The query engine: read-only connections, refused writes, SQLite's errors with a caret, Arrow traces
// answering exactly like SQLite ones, the views, and the rule loader.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INDEX_DDL } from '../../recorder/index.js';
import { findBuiltin } from '../../scenarios/index.js';
import {
  QueryError, RuleError, TraceQuery, VIEW_NAMES, checkTrace, loadRules, parseRule, runRules, splitRules, viewsUsedBy,
} from '../../queries/index.js';
import { cleanTraces, record } from './helpers.js';

let prefix: string;
let buggy: string;
let trace: TraceQuery;

beforeAll(async () => {
  prefix = await record(findBuiltin('demo')!, { seed: 3, cpus: 2, requests: 30 }, ['sqlite', 'arrow']);
  buggy = await record(findBuiltin('original-completed-before-free')!, { seed: 1, cpus: 2, requests: 10 }, ['sqlite', 'arrow']);
  trace = await TraceQuery.open(`${prefix}.sqlite`);
});

afterAll(() => {
  trace.close();
  cleanTraces();
});

function refusal(sql: string): QueryError {
  try {
    trace.query(sql);
  } catch (error) {
    if (error instanceof QueryError) return error;
    throw error;
  }
  throw new Error(`not refused: ${sql}`);
}

describe('read-only', () => {
  it('opens a SQLite trace on a read-only connection with query_only set', () => {
    expect(trace.db.readonly).toBe(true);
    expect(trace.query('PRAGMA query_only').rows).toEqual([[1]]);
  });

  it.each([
    'DELETE FROM events',
    "INSERT INTO events (seq, time_ns, kind, hash) VALUES (999999, 0, 'x', 'x')",
    "UPDATE sessions SET scenario = 'x'",
    'DROP TABLE events',
    'DROP VIEW irp_lifetimes',
    'CREATE TABLE x (a)',
    'CREATE TEMP TABLE x (a)',
    'CREATE TEMP VIEW v AS SELECT 1',
    "ATTACH DATABASE 'other.db' AS other",
    'DETACH DATABASE temp',
    'PRAGMA user_version = 7',
    'PRAGMA query_only = OFF',
    'PRAGMA query_only(0)',
    'PRAGMA journal_mode = WAL',
    'PRAGMA writable_schema = ON',
    'BEGIN',
    'VACUUM',
    '  -- a comment first\n  DELETE FROM events',
  ])('refuses %s', (sql) => {
    const error = refusal(sql);
    expect(error.message).toMatch(/refused|readonly|read-only/i);
  });

  it('gives integers past 2^53 exactly when asked (the query command asks), as plain numbers otherwise', () => {
    const sql = 'SELECT 9223372036854775807 AS big, 42 AS small';
    expect(trace.query(sql, [], { exactIntegers: true }).rows).toEqual([[9223372036854775807n, 42n]]);
    expect(trace.query(sql).rows[0]![1]).toBe(42);
  });

  it('says plainly when there is no statement, or more than one', () => {
    expect(refusal('').message).toBe('no SQL statement given');
    expect(refusal('  -- only a comment').message).toBe('no SQL statement given');
    expect(refusal('SELECT 1; SELECT 2').message).toBe('one statement at a time: this SQL holds more than one (split it at the ";")');
  });

  it('allows the reading pragmas', () => {
    expect(trace.query('PRAGMA user_version').rows).toEqual([[1]]);
    expect(trace.query('PRAGMA table_info(events)').rows.length).toBe(23);
  });

  it('leaves the trace file untouched', async () => {
    const before = readFileSync(`${prefix}.sqlite`);
    const t = await TraceQuery.open(`${prefix}.sqlite`);
    for (const sql of ['DELETE FROM events', 'PRAGMA user_version = 9']) expect(() => t.query(sql)).toThrow(QueryError);
    t.query('SELECT count(*) FROM irp_lifetimes');
    t.close();
    expect(readFileSync(`${prefix}.sqlite`).equals(before)).toBe(true);
  });

  it('a killed recording as it is left (WAL mode, its last batches still in the -wal file, no indexes) is queried and checked from an in-memory copy that holds the WAL\'s rows; the files stay untouched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'irptrace-killed-'));
    const path = join(dir, 'killed.sqlite');
    copyFileSync(`${buggy}.sqlite`, path);
    // The recorder's connection, as a kill leaves it: WAL mode, rows committed to the WAL only.
    const recorder = new Database(path);
    try {
      for (const name of recorder.prepare("SELECT name FROM pragma_index_list('events') WHERE origin = 'c'").pluck().all() as string[]) recorder.exec(`DROP INDEX ${name}`);
      recorder.pragma('journal_mode = WAL');
      recorder.pragma('wal_autocheckpoint = 0');
      const total = recorder.prepare('SELECT count(*) FROM events').pluck().get() as number;
      recorder.exec(`DELETE FROM events WHERE seq >= ${total - 5}; UPDATE sessions SET end_reason = NULL`);
      expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);
      const before = [readFileSync(path), readFileSync(`${path}-wal`)];
      const t = await TraceQuery.open(path);
      expect(t.query('SELECT count(*) FROM events').rows).toEqual([[total - 5]]);
      t.close();
      const checked = await checkTrace(path);
      expect([checked.events, checked.finished]).toEqual([total - 5, false]);
      expect(readFileSync(path).equals(before[0]!)).toBe(true);
      expect(readFileSync(`${path}-wal`).equals(before[1]!)).toBe(true);
    } finally {
      recorder.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a trace without indexes (a killed recording) is indexed in memory, not in the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'irptrace-noindex-'));
    try {
      const path = join(dir, 'killed.sqlite');
      copyFileSync(`${buggy}.sqlite`, path);
      const writable = new Database(path);
      const names = (writable.prepare("SELECT name FROM pragma_index_list('events') WHERE origin = 'c'").pluck().all() as string[]);
      expect(names.length).toBe(INDEX_DDL.length);
      for (const name of names) writable.exec(`DROP INDEX ${name}`);
      writable.close();
      const before = readFileSync(path);
      const t = await TraceQuery.open(path);
      expect(t.query("SELECT count(*) FROM pragma_index_list('events') WHERE origin = 'c'").rows).toEqual([[INDEX_DDL.length]]);
      t.close();
      const fromCopy = await checkTrace(path);
      const fromOriginal = await checkTrace(`${buggy}.sqlite`);
      expect(fromCopy.findings.map((f) => f.message)).toEqual(fromOriginal.findings.map((f) => f.message));
      expect(readFileSync(path).equals(before)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('errors', () => {
  it('invalid SQL: SQLite\'s message with a caret under the token', () => {
    const error = refusal('SELECT irp, nosuch FROM irp_lifetimes');
    expect(error.message).toBe('no such column: nosuch');
    expect(error.position).toBe(12);
    expect(error.describe()).toBe('no such column: nosuch\n  SELECT irp, nosuch FROM irp_lifetimes\n              ^');
  });

  it('syntax errors point at the token SQLite names, on the right line', () => {
    const error = refusal('SELECT seq\nFROM events\nWHER kind = 1');
    expect(error.message).toMatch(/near "kind": syntax error|near "WHER": syntax error/);
    const lines = error.describe().split('\n');
    expect(lines[0]).toMatch(/\(line 3, column \d+\)$/);
    const caret = lines[2]!.indexOf('^');
    expect(lines[1]!.slice(caret)).toMatch(/^(kind|WHER)/);
  });

  it('unknown tables and incomplete input', () => {
    expect(refusal('SELECT * FROM irps').describe()).toContain('\n                ^');
    expect(refusal('SELECT * FROM events WHERE (').message).toMatch(/incomplete input|syntax error/);
  });
});

const aloneDirs: string[] = [];
afterAll(() => { for (const dir of aloneDirs) rmSync(dir, { recursive: true, force: true }); });

/** A copy of an Arrow trace with no SQLite file beside it: read by loading it into memory. */
function alone(arrowPath: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'irptrace-arrow-alone-'));
  aloneDirs.push(dir);
  const copy = join(dir, 'alone.arrow');
  copyFileSync(arrowPath, copy);
  return copy;
}

describe('Arrow traces', () => {
  it('load into memory with the same schema and answer every view like the SQLite trace', async () => {
    const arrow = await TraceQuery.open(alone(`${prefix}.arrow`));
    try {
      expect(arrow.format).toBe('arrow');
      expect(arrow.db.memory).toBe(true);
      for (const sql of ['SELECT * FROM events ORDER BY seq', 'SELECT * FROM sessions', ...VIEW_NAMES.map((v) => `SELECT * FROM ${v} ORDER BY 1, 2, 3`)]) {
        const a = arrow.query(sql);
        const s = trace.query(sql);
        expect(a.columns, sql).toEqual(s.columns);
        expect(a.rows, sql).toEqual(s.rows);
      }
      expect(() => arrow.query('DELETE FROM events')).toThrow(QueryError);
    } finally {
      arrow.close();
    }
  });

  it('give the same findings', async () => {
    const fromSqlite = await checkTrace(`${buggy}.sqlite`);
    const fromArrow = await checkTrace(alone(`${buggy}.arrow`));
    expect(fromSqlite.findings.length).toBeGreaterThan(0);
    const strip = (r: typeof fromSqlite): unknown => r.findings.map(({ replay: _replay, ...f }) => f);
    expect(strip(fromArrow)).toEqual(strip(fromSqlite));
    expect(fromArrow.source).toBe(fromArrow.trace);
  });

  it('are read through the SQLite file recorded beside them when it holds the same recording (same session, both finished, same final hash), and loaded otherwise', async () => {
    const twin = await TraceQuery.open(`${prefix}.arrow`);
    try {
      expect(twin.source).toBe(`${prefix}.sqlite`);
      expect(twin.db.memory).toBe(false);
      expect(twin.query('SELECT count(*), max(hash) FROM events').rows).toEqual(trace.query('SELECT count(*), max(hash) FROM events').rows);
    } finally {
      twin.close();
    }
    const checked = await checkTrace(`${buggy}.arrow`);
    expect([checked.trace, checked.source]).toEqual([`${buggy}.arrow`, `${buggy}.sqlite`]);
    // A SQLite file of another recording beside it (here the demo's, under the buggy one's name) is not its twin.
    const dir = mkdtempSync(join(tmpdir(), 'irptrace-not-twin-'));
    try {
      copyFileSync(`${buggy}.arrow`, join(dir, 't.arrow'));
      copyFileSync(`${prefix}.sqlite`, join(dir, 't.sqlite'));
      const other = await TraceQuery.open(join(dir, 't.arrow'));
      try {
        expect([other.source, other.db.memory]).toEqual([join(dir, 't.arrow'), true]);
      } finally {
        other.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the pack on two threads', () => {
  it('splits the rules by the views they read: the routine_runs family on the second thread, irp_lifetimes on the main one', () => {
    const byId = new Map(loadRules().map((r) => [r.id, r]));
    const { main, second } = splitRules(loadRules());
    expect(main.length + second.length).toBe(byId.size);
    const where = (id: string): string => (second.some((r) => r.id === id) ? 'second' : main.some((r) => r.id === id) ? 'main' : 'nowhere');
    expect(where('MarkPendingWithoutStatusPending')).toBe('second');
    expect(where('PendingReturnedNotPropagated')).toBe('second');
    expect(where('OriginalCompletedBeforeChildFreed')).toBe('main');
    expect(viewsUsedBy(second.map((r) => r.sql))).not.toContain('irp_lifetimes');
    expect(viewsUsedBy(main.map((r) => r.sql))).not.toContain('routine_runs');
    // A rule reading both halves' views stays on the main thread (which then builds both).
    const both = parseRule(`-- id: Both\n-- title: t\n-- severity: error\n-- checks: "c."\n-- source: s\nSELECT r.activation AS seq, 'm' AS message FROM routine_runs r JOIN irp_lifetimes l ON l.irp = r.irp WHERE 0`, '/x/Both.sql');
    expect(splitRules([both]).main.map((r) => r.id)).toEqual(['Both']);
  });

  it('a SQLite trace runs on two threads and finds exactly what one thread finds, on either thread', async () => {
    const pendingButSuccess = await record(findBuiltin('pending-but-success')!, { seed: 1, cpus: 2, requests: 10 }, ['sqlite']);
    const threadsFiring = new Set<number>();
    for (const path of [`${buggy}.sqlite`, `${pendingButSuccess}.sqlite`]) {
      const two = await checkTrace(path);
      const one = await checkTrace(path, { parallel: false });
      expect(two.timing.threads).toBe(2);
      expect(one.timing.threads).toBe(1);
      expect(new Set(two.timing.rules.map((t) => t.thread))).toEqual(new Set([0, 1]));
      expect(two.timing.views.map((v) => v.thread)).toEqual([0, 1]);
      expect(two.findings.length, path).toBeGreaterThan(0);
      expect(two.findings).toEqual(one.findings);
      const threadOf = new Map(two.timing.rules.map((t) => [t.rule, t.thread]));
      for (const f of two.findings) threadsFiring.add(threadOf.get(f.rule)!);
    }
    expect(threadsFiring).toEqual(new Set([0, 1]));
  });

  it('a rule failing on the second thread names its file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'irptrace-rules-'));
    try {
      writeFileSync(join(dir, 'Fails.sql'), `-- id: Fails\n-- title: t\n-- severity: error\n-- checks: "c."\n-- source: s\nSELECT activation AS seq, json_extract('{bad', '$') AS message FROM routine_runs`);
      const error = await checkTrace(`${prefix}.sqlite`, { builtin: false, rulesDirs: [dir] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RuleError);
      expect(String((error as Error).message)).toMatch(/Fails\.sql: malformed JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the views answer the contract\'s example questions in one short statement', () => {
  it('original IRPs completed before the IRPs allocated for them were freed (none in the demo; all in the buggy variant)', async () => {
    const sql = `SELECT p.irp FROM irp_lifetimes p JOIN irp_lifetimes c ON c.parent_irp = p.irp
                 WHERE c.api = 'IoAllocateIrp' AND (c.freed_seq IS NULL OR c.freed_seq > p.completion_requested_seq)`;
    expect(trace.query(sql).rows).toEqual([]);
    const t = await TraceQuery.open(`${buggy}.sqlite`);
    expect(t.query(sql).rows.length).toBe(t.query("SELECT count(*) FROM irp_lifetimes WHERE api = 'IoAllocateIrp' AND completed_seq IS NULL").rows[0]![0]);
    t.close();
  });

  it('dispatch activations that marked pending but did not return STATUS_PENDING', () => {
    const sql = `SELECT r.activation, r.routine, r.status FROM routine_runs r
                 WHERE r.kind = 'Dispatch' AND r.status <> 0x103
                   AND EXISTS (SELECT 1 FROM events m WHERE m.activation = r.activation AND m.kind = 'IrpMarkedPending')`;
    expect(trace.query(sql).rows).toEqual([]);
  });

  it('IoRequestDpc below the device\'s DIRQL', () => {
    const sql = `SELECT d.queued_seq, d.device, d.queued_irql FROM dpc_runs d
                 WHERE d.api = 'IoRequestDpc' AND d.queued_irql < (SELECT max(i.irql) FROM isr_runs i WHERE i.device = d.device)`;
    expect(trace.query(sql).rows).toEqual([]);
    expect(trace.query("SELECT count(*) FROM dpc_runs WHERE api = 'IoRequestDpc'").rows[0]![0]).toBeGreaterThan(0);
  });

  it('each CPU\'s IRQL at a seq, and the IRPs live then', () => {
    const at = Math.floor((trace.query('SELECT max(seq) FROM events').rows[0]![0] as number) / 2);
    const rows = trace.query(`SELECT cpu, irql, (SELECT group_concat(irp) FROM irp_lifetimes
                                                  WHERE allocated_seq <= ${at} AND coalesce(freed_seq, 1e18) > ${at}) AS live
                              FROM irql_intervals WHERE ${at} >= from_seq AND ${at} < to_seq ORDER BY cpu`).rows;
    expect(rows.map((r) => r[0])).toEqual([0, 1]);
    for (const row of rows) expect([0, 1, 2, 5, 15]).toContain(row[1]);
  });

  it('routine runs pair every entry with its return; completion walks and DPC runs line up', () => {
    expect(trace.query("SELECT count(*) FROM routine_runs WHERE return_seq IS NULL").rows).toEqual([[0]]);
    expect(trace.query("SELECT count(*) FROM events WHERE kind = 'RoutineEntered'").rows).toEqual(trace.query('SELECT count(*) FROM routine_runs').rows);
    expect(trace.query('SELECT count(*) FROM dpc_runs WHERE inserted = 1 AND (started_seq IS NULL OR latency_ns < 0)').rows).toEqual([[0]]);
    expect(trace.query("SELECT count(*) FROM completion_walks").rows).toEqual(trace.query("SELECT count(*) FROM routine_runs WHERE kind = 'Completion'").rows);
    expect(trace.query('SELECT count(*) FROM irp_lifetimes WHERE freed_seq IS NULL').rows).toEqual([[0]]);
  });
});

describe('rule files', () => {
  const header = (over: Partial<Record<string, string>> = {}): string => {
    const fields = { id: 'MyRule', title: 'A rule', severity: 'error', checks: '"A sentence."', source: 'k:somewhere', ...over };
    return `${Object.entries(fields).filter(([, v]) => v !== '').map(([k, v]) => `-- ${k}: ${v}`).join('\n')}\nSELECT seq, 'm' AS message FROM events WHERE 0\n`;
  };

  it('the built-in pack: at least 30 rules, every header valid, ids unique', () => {
    const rules = loadRules();
    expect(rules.length).toBeGreaterThanOrEqual(30);
    expect(new Set(rules.map((r) => r.id)).size).toBe(rules.length);
    for (const r of rules) {
      expect(r.checks.length, r.id).toBeGreaterThan(10);
      expect(r.source.length, r.id).toBeGreaterThan(3);
    }
  });

  it('parses a header (with continuation lines)', () => {
    const rule = parseRule(header().replace('-- title: A rule', '-- title: A rule\n--   that goes on'), '/x/MyRule.sql');
    expect(rule).toMatchObject({ id: 'MyRule', title: 'A rule that goes on', severity: 'error', source: 'k:somewhere' });
    expect(rule.sql).toMatch(/^SELECT seq/);
  });

  it.each([
    ['a missing key', header({ source: '' }), /no "-- source:" line/],
    ['a bad severity', header({ severity: 'critical' }), /severity "critical"/],
    ['an id that is not the file name', header({ id: 'Other' }), /differs from the file name/],
    ['a non-CamelCase id', header({ id: 'my-rule' }), /not a CamelCase name/],
    ['no SQL', header().replace(/SELECT.*\n/, ''), /no SQL/],
    ['a write', header().replace(/SELECT.*\n/, 'DELETE FROM events\n'), /must be a SELECT/],
  ])('refuses %s', (_what, text, message) => {
    expect(() => parseRule(text, '/x/MyRule.sql')).toThrow(message);
  });

  it('loads extra directories, refuses unknown ids, duplicate ids and bad directories', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'irptrace-rules-'));
    try {
      writeFileSync(join(dir, 'MyRule.sql'), header().replace("WHERE 0", "WHERE kind = 'SessionEnded'"));
      const rules = loadRules({ rulesDirs: [dir] });
      expect(rules.at(-1)!.id).toBe('MyRule');
      const result = await checkTrace(`${prefix}.sqlite`, { rulesDirs: [dir], rules: ['MyRule'] });
      expect(result.findings.map((f) => [f.rule, f.severity, f.events[0]!.kind])).toEqual([['MyRule', 'error', 'SessionEnded']]);
      expect(result.failed).toBe(true);
      expect(() => loadRules({ rules: ['NoSuchRule'] })).toThrow(/unknown rule id "NoSuchRule"/);
      writeFileSync(join(dir, 'DoubleCompletion.sql'), header({ id: 'DoubleCompletion' }));
      expect(() => loadRules({ rulesDirs: [dir] })).toThrow(/already defined/);
      expect(() => loadRules({ rulesDirs: [join(dir, 'nope')] })).toThrow(RuleError);
      expect(statSync(dir).isDirectory()).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a rule must return seq and message; a broken one names its file', () => {
    const noSeq = parseRule(header().replace("SELECT seq, 'm' AS message", "SELECT 'm' AS message"), '/x/MyRule.sql');
    expect(() => runRules(trace, [noSeq])).toThrow(/must return columns "seq" and "message"/);
    const broken = parseRule(header().replace('FROM events', 'FROM nowhere'), '/x/MyRule.sql');
    // Located in the file as compilers do (file:line:column), on one line: header lines 1–5, SQL from 6.
    expect(() => runRules(trace, [broken])).toThrow(/^\/x\/MyRule\.sql:6:33: no such table: nowhere$/);
    const later = parseRule(header().replace('SELECT seq', '\n  SELECT seq').replace(' FROM events WHERE 0', '\nFROM events\nWHERE kind = 1 AND nosuch = 0'), '/x/MyRule.sql');
    expect(() => runRules(trace, [later])).toThrow(/^\/x\/MyRule\.sql:9:20: no such column: nosuch$/);
  });
});
