// `irptrace query` and `irptrace check`, run for real as child processes.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBuiltin } from '../../scenarios/index.js';
import { cleanTraces, record } from './helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'irptrace.js');

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function irptrace(args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number') reject(error);
      else resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr });
    });
  });
}

let demo: string;
let warningsOnly: string;
let fatal: string;
let dir: string;

beforeAll(async () => {
  demo = await record(findBuiltin('demo')!, { seed: 1, cpus: 2, requests: 10 }, ['sqlite', 'arrow']);
  warningsOnly = await record(findBuiltin('original-completed-before-free')!, { seed: 1, cpus: 2, requests: 4 });
  fatal = await record(findBuiltin('double-completion')!, { seed: 1, cpus: 2 });
  dir = mkdtempSync(join(tmpdir(), 'irptrace-cli-rules-'));
});

afterAll(() => {
  cleanTraces();
  rmSync(dir, { recursive: true, force: true });
});

describe('check with a rule or a rules directory named twice', () => {
  it('runs the rule once and loads the directory once', async () => {
    const twice = await irptrace(['check', `${fatal}.sqlite`, '--rule', 'DoubleCompletion', 'DoubleCompletion', '--format', 'json']);
    const once = await irptrace(['check', `${fatal}.sqlite`, '--rule', 'DoubleCompletion', '--format', 'json']);
    expect(twice.code).toBe(1);
    const [a, b] = [JSON.parse(twice.stdout), JSON.parse(once.stdout)] as { rules: string[]; counts: unknown }[];
    expect(a!.rules).toEqual(['DoubleCompletion']);
    expect(a!.counts).toEqual(b!.counts);
  });
});

describe('query into a pipe that closes early', () => {
  it('stops quietly with exit 0, as `irptrace query … | head` expects (no EPIPE stack trace)', async () => {
    // Megabytes of rows, far more than a pipe holds: the writes after we close are refused (EPIPE).
    const many = 'WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 100) SELECT * FROM events, n';
    const child = spawn(process.execPath, [BIN, 'query', `${demo}.sqlite`, many], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    // Read the first chunk, then close our end, as `head -1` does.
    await new Promise<void>((resolve) => child.stdout.once('data', () => { child.stdout.destroy(); resolve(); }));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    expect(stderr).toBe('');
  });
});

describe('irptrace query', () => {
  it('prints a table, JSON or CSV', async () => {
    const table = await irptrace(['query', `${demo}.sqlite`, "SELECT irp, api FROM irp_lifetimes WHERE irp <= 2 ORDER BY irp"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toBe('irp  api\n---  ---------\n  1  IoManager\n  2  IoManager\n(2 rows)\n');
    const json = await irptrace(['query', `${demo}.arrow`, 'SELECT irp, api FROM irp_lifetimes WHERE irp = 1', '--format', 'json']);
    expect(JSON.parse(json.stdout)).toEqual([{ irp: 1, api: 'IoManager' }]);
    const csv = await irptrace(['query', `${demo}.sqlite`, "SELECT 'a,b' AS x, NULL AS y", '--format', 'csv']);
    expect(csv.stdout).toBe('x,y\r\n"a,b",\n');
  });

  it('invalid SQL: exit 2, SQLite\'s message with a caret under the position', async () => {
    const r = await irptrace(['query', `${demo}.sqlite`, 'SELECT irp, nosuch FROM irp_lifetimes']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('irptrace: no such column: nosuch\n  SELECT irp, nosuch FROM irp_lifetimes\n              ^\n');
  });

  it('refuses statements that would write, and bad traces, with exit 2', async () => {
    // (every refused form is tested in engine.int.test.ts; here, that the command reports them)
    const sqls = ['DROP TABLE events', "ATTACH 'x.db' AS x"];
    const results = await Promise.all(sqls.map((sql) => irptrace(['query', `${demo}.sqlite`, sql])));
    results.forEach((r, i) => {
      expect(r.code, sqls[i]).toBe(2);
      expect(r.stderr, sqls[i]).toMatch(/^irptrace: refused/);
    });
    const missing = await irptrace(['query', join(dir, 'nope.sqlite'), 'SELECT 1']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('irptrace check', () => {
  it('the correct stack: no findings, exit 0', async () => {
    const r = await irptrace(['check', `${demo}.sqlite`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+ rules checked over [\d,]+ events: 0 fatal, 0 errors, 0 warnings\n$/);
  });

  it('a recording that did not finish is checked and says so', async () => {
    const cut = join(dir, 'cut.arrow');
    const bytes = readFileSync(`${demo}.arrow`);
    writeFileSync(cut, bytes.subarray(0, bytes.length >> 1));
    const r = await irptrace(['check', cut, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ finished: false, failed: false });
    const text = await irptrace(['check', cut]);
    expect(text.stdout).toContain('(the recording did not finish: what never happened by its end is not reported)');
    const whole = await irptrace(['check', `${demo}.arrow`, '--format', 'json']);
    expect(JSON.parse(whole.stdout)).toMatchObject({ finished: true });
    expect((JSON.parse(r.stdout) as { events: number }).events).toBeLessThan((JSON.parse(whole.stdout) as { events: number }).events);
  });

  it('a fatal finding: rule, severity, message, the events and the replay command; exit 1', async () => {
    const r = await irptrace(['check', `${fatal}.sqlite`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FATAL DoubleCompletion: DiskDpcForIsr completed IRP \d+ again/m);
    expect(r.stdout).toMatch(/^ {4}seq +\d+ +[\d.]+ µs +cpu \d +IrpCompletionRequested +DiskDpcForIsr +irp \d+$/m);
    expect(r.stdout).toContain(`→ irptrace replay ${fatal}.sqlite --at `);
  });

  it('warnings only: exit 0', async () => {
    const r = await irptrace(['check', `${warningsOnly}.sqlite`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^WARNING OriginalCompletedBeforeChildFreed: /m);
    expect(r.stdout).toMatch(/0 fatal, 0 errors, [1-9]\d* warnings?\n$/);
  });

  it('--rule and --format json; --rules loads a directory of user rules', async () => {
    writeFileSync(join(dir, 'EveryIsr.sql'), [
      '-- id: EveryIsr', '-- title: Lists ISR runs', '-- severity: warning',
      '-- checks: "An ISR should return control as quickly as possible."', '-- source: k:writing-an-isr',
      "SELECT entry_seq AS seq, return_seq AS seq2, routine || ' ran' AS message FROM isr_runs",
    ].join('\n'));
    const r = await irptrace(['check', `${demo}.arrow`, '--rules', dir, '--rule', 'EveryIsr', 'DoubleCompletion', '--format', 'json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { rules: string[]; findings: { rule: string; events: { kind: string }[]; replay: string }[] };
    expect(out.rules).toEqual(['EveryIsr', 'DoubleCompletion']);
    expect(out.findings.length).toBeGreaterThan(0);
    expect(out.findings[0]!.events.map((e) => e.kind)).toEqual(['RoutineEntered', 'RoutineReturned']);
    expect(out.findings[0]!.replay).toMatch(/^irptrace replay .*\.arrow --at \d+$/);
  });

  it('bad input is one line on stderr and exit 2', async () => {
    writeFileSync(join(dir, 'corrupt.sqlite'), 'not a trace');
    // A rules directory with a "rule file" that cannot be read (a directory named *.sql).
    mkdirSync(join(dir, 'unreadable', 'Broken.sql'), { recursive: true });
    const cases = [
      ['check', join(dir, 'nope.sqlite')],
      ['check', join(dir, 'corrupt.sqlite')],
      ['check', `${demo}.sqlite`, '--rule', 'NoSuchRule'],
      ['check', `${demo}.sqlite`, '--rules', join(dir, 'no-such-dir')],
      ['check', `${demo}.sqlite`, '--rules', join(dir, 'unreadable')],
    ];
    const results = await Promise.all(cases.map((args) => irptrace(args)));
    results.forEach((r, i) => {
      const what = cases[i]!.join(' ');
      expect(r.code, what).toBe(2);
      expect(r.stdout, what).toBe('');
      expect(r.stderr, what).toMatch(/^irptrace: [^\n]+\n$/);
    });
  });
});
