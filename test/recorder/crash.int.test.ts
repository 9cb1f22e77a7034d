import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBuiltin } from '../../scenarios/index.js';
import { SeededRandom, Simulation } from '../../model/index.js';
import { TraceQuery } from '../../queries/index.js';
import { DEFAULT_BATCH_SIZE, sessionFactsFor } from '../../recorder/index.js';
import { createTraceFile } from '../../recorder/sqlite-sink.js';
import { sqlitePlan } from '../../recorder/sqlite-plan.js';
import { checkArrowTrace, checkSqliteTrace, tempDir } from './helpers.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/record-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A recording in a child process; resolves `started` on its first line, `exited` when it ends. */
function recording(out: string, events: number, writer: 'inline' | 'worker', flags: string[] = []) {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, out, String(events), writer, ...flags], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let written = 0;
  let done: string | null = null;
  let stderr = '';
  let onWritten: (() => void) | null = null;
  let onAll: (() => void) | null = null;
  const started = new Promise<void>((resolve) => {
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line === 'started') resolve();
        else if (line.startsWith('written ')) {
          written = Number(line.slice(8));
          onWritten?.();
          if (written === events) onAll?.();
        }
        else if (line.startsWith('done ')) done = line.slice(5);
      }
    });
  });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child, started, exited,
    /** Events the child reported written (after every sink's append), at the last report. */
    get written() { return written; },
    get done() { return done; },
    get stderr() { return stderr; },
    firstBatch: new Promise<void>((resolve) => { onWritten = resolve; }),
    /** Every event written: the recording is finishing (index build, session update, close). */
    lastBatch: new Promise<void>((resolve) => { onAll = resolve; }),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What must hold of a trace however the recording ended: the SQLite file opens, integrity_check is
 * ok, seq is dense from 0 and the hash chain verifies; the Arrow stream reads up to its last whole
 * batch with a verifying chain; at most the batch being written (SQLite: plus the one in the writer
 * thread) is missing from what was reported written; and an unfinished recording says so.
 */
async function checkAfterKill(out: string, written: number, what: string): Promise<void> {
  const sqlite = `${out}.sqlite`;
  const arrow = `${out}.arrow`;
  if (!existsSync(sqlite) || !existsSync(arrow)) {
    // Files appear (renamed into place, initialised) before the first batch is written.
    expect(written, `${what}: a trace file is missing after batches were written`).toBe(0);
    return;
  }
  const before = readFileSync(sqlite);
  const s = checkSqliteTrace(sqlite);
  const a = await checkArrowTrace(arrow);
  // Reading a killed trace leaves the file as it was (a read-only connection keeps the WAL apart).
  expect(readFileSync(sqlite).equals(before), `${what}: reading changed the file`).toBe(true);
  expect(s.events, `${what}: SQLite lost more than a batch`).toBeGreaterThanOrEqual(written - DEFAULT_BATCH_SIZE);
  expect(a.rows, `${what}: Arrow lost a batch it had written`).toBeGreaterThanOrEqual(written);
  // A file that says it is complete is: its end facts match what it holds.
  if (s.end !== null) expect(s.end, `${what}: SQLite end facts`).toMatchObject({ eventCount: s.events, finalHash: s.lastHash });
  if (a.end !== null) expect(a.end, `${what}: Arrow end facts`).toMatchObject({ eventCount: a.rows, finalHash: a.lastHash });
}

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => { tmp = tempDir(); });
afterAll(() => tmp.remove());

describe('kill -9 at random moments', () => {
  const seed = Number(process.env.IRPTRACE_KILL_SEED ?? Date.now() % 1_000_000);
  const rng = new SeededRandom(seed);

  it(`leaves a trace that passes every check (seed ${seed})`, async () => {
    // Long runs killed while they start or a few batches in; short runs killed around their end
    // (the last batch, the index build, the session update, closing the files).
    const tries = [
      ...Array.from({ length: 2 }, () => ({ events: 5_000_000, after: 'started' as const, window: 400 })),
      ...Array.from({ length: 4 }, () => ({ events: 5_000_000, after: 'firstBatch' as const, window: 500 })),
      ...Array.from({ length: 4 }, () => ({ events: 40_000, after: 'lastBatch' as const, window: 150 })),
    ];
    const attempt = async (i: number): Promise<void> => {
      const t = tries[i]!;
      const writer = i % 2 === 0 ? 'inline' : 'worker';
      const out = join(tmp.dir, `kill-${i}`);
      const delay = rng.int(0, t.window);
      const run = recording(out, t.events, writer);
      await (t.after === 'started' ? run.started : Promise.race([t.after === 'firstBatch' ? run.firstBatch : run.lastBatch, run.exited]));
      await sleep(delay);
      run.child.kill('SIGKILL');
      const { signal } = await run.exited;
      const what = `try ${i} (${writer} writer, ${t.events} events, killed ${delay} ms after ${{ started: 'start', firstBatch: 'the first batch', lastBatch: 'the last batch' }[t.after]}, seed ${seed})`;
      if (signal === null) expect(run.done, `${what}: ${run.stderr}`).not.toBeNull();
      await checkAfterKill(out, run.written, what);
      if (process.env.IRPTRACE_KILL_LOG) console.log(what, { written: run.written, finished: signal === null });
    };
    // Two at a time: most of a try is the child starting up.
    for (let i = 0; i < tries.length; i += 2) await Promise.all([attempt(i), attempt(i + 1)]);
  }, 120_000);
});

describe('SIGINT and SIGTERM', () => {
  it.each([['SIGTERM', 'inline'], ['SIGINT', 'worker']] as const)('%s flushes and marks the session interrupted (%s writer)', async (signal, writer) => {
    const out = join(tmp.dir, `signal-${signal}`);
    const run = recording(out, 5_000_000, writer, ['--signals', '--yielding']);
    await run.firstBatch;
    run.child.kill(signal);
    const exit = await run.exited;
    expect(exit, run.stderr).toEqual({ code: 0, signal: null });
    expect(JSON.parse(run.done!)).toMatchObject({ endReason: 'interrupted' });
    const s = checkSqliteTrace(`${out}.sqlite`);
    const a = await checkArrowTrace(`${out}.arrow`);
    expect(s.end).toMatchObject({ endReason: 'interrupted', eventCount: s.events, finalHash: s.lastHash });
    expect(a.end).toEqual(s.end);
    expect(a.rows).toBe(s.events);
    expect(s.events).toBeGreaterThanOrEqual(run.written);
  }, 60_000);
});

/**
 * A process killed inside a rollback-journal transaction, here with changed pages already spilled
 * into the file: what a recording killed while it switched the trace from WAL back to a
 * rollback journal (finishTrace) leaves. The child exits by SIGKILL with its transaction open.
 */
const KILLED_MID_TRANSACTION = `
import Database from 'better-sqlite3';
const db = new Database(process.argv[1], { fileMustExist: true });
db.pragma('cache_size = 2');
db.exec("BEGIN IMMEDIATE; UPDATE events SET detail = 'overwritten'");
process.kill(process.pid, 'SIGKILL');
`;

describe('a hot rollback journal', () => {
  it('cannot be left by a kill as a recording starts: the trace takes its name already in WAL mode', () => {
    // Switching an existing file to WAL rewrites its header through a rollback journal.
    const path = join(tmp.dir, 'created.sqlite');
    createTraceFile(sqlitePlan(path, sessionFactsFor(new Simulation(findBuiltin('demo')!, { seed: 1 }))));
    const header = readFileSync(path).subarray(18, 20);
    expect([...header], 'header bytes 18-19 (2: WAL)').toEqual([2, 2]);
    for (const sidecar of ['-journal', '-wal', '-shm']) expect(existsSync(path + sidecar), sidecar).toBe(false);
  });

  it('is rolled back in a copy for reading, and the trace and its journal stay as the kill left them', async () => {
    const out = join(tmp.dir, 'hot-journal');
    const run = recording(out, 20_000, 'inline');
    expect(await run.exited, run.stderr).toEqual({ code: 0, signal: null });
    const path = `${out}.sqlite`;
    const whole = checkSqliteTrace(path);
    const beforeKill = readFileSync(path);
    const detailsBefore = await countDetails(path);

    const child = spawn(process.execPath, ['--input-type=module', '-e', KILLED_MID_TRANSACTION, path], { cwd: ROOT, stdio: 'ignore' });
    expect(await new Promise((resolve) => child.on('exit', (_code, signal) => resolve(signal)))).toBe('SIGKILL');
    const journal = `${path}-journal`;
    expect(existsSync(journal), 'the kill left a journal').toBe(true);
    const [file, journalBytes] = [readFileSync(path), readFileSync(journal)];
    expect(file.equals(beforeKill), 'the transaction spilled changed pages into the file').toBe(false);

    // Read as before the transaction: the same events, chain and end facts (a read that skipped
    // the journal would see the spilled 'overwritten' details and a broken chain).
    expect(checkSqliteTrace(path)).toEqual(whole);
    expect(await countDetails(path)).toEqual(detailsBefore);
    expect(readFileSync(path).equals(file), 'reading changed the trace').toBe(true);
    expect(readFileSync(journal).equals(journalBytes), 'reading changed the journal').toBe(true);
  }, 60_000);
});

async function countDetails(path: string): Promise<unknown> {
  const q = await TraceQuery.open(path);
  try {
    return q.query("SELECT count(*), sum(detail = 'overwritten') FROM events").rows;
  } finally {
    q.close();
  }
}

/**
 * How to run a command as a user who cannot write a directory this process made read-only: as
 * ourselves, unless we are root (who writes anyway), then as `nobody` through setpriv. null when
 * neither works here (then the test says so and is skipped).
 */
function otherUserPrefix(): readonly string[] | null {
  if (process.platform === 'win32') return null;
  if (process.getuid?.() !== 0) return [];
  const prefix = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
  const probe = spawnSync(prefix[0]!, [...prefix.slice(1), process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(join(ROOT, 'package.json'))})`]);
  return probe.status === 0 ? prefix : null;
}
const AS_OTHER_USER = otherUserPrefix();
if (AS_OTHER_USER === null) console.log('crash.int.test.ts: cannot run as a user without write access here: read-only directory test skipped');

describe('a killed recording in a read-only directory', () => {
  it.skipIf(AS_OTHER_USER === null)('reads whole without its -shm file (recovered in a copy), and the directory stays as it was', async () => {
    const out = join(tmp.dir, 'read-only');
    const run = recording(out, 5_000_000, 'worker');
    await run.firstBatch;
    await sleep(300);
    run.child.kill('SIGKILL');
    await run.exited;
    const whole = checkSqliteTrace(`${out}.sqlite`);
    expect(whole.end).toBeNull();

    // Copied as a user might copy it: the trace and its WAL, not the shared-memory index.
    const dir = mkdtempSync(join(tmpdir(), 'irptrace-read-only-'));
    try {
      for (const suffix of ['', '-wal']) copyFileSync(`${out}.sqlite${suffix}`, join(dir, `trace.sqlite${suffix}`));
      chmodSync(dir, 0o555);
      const [command, ...args] = [...AS_OTHER_USER!, process.execPath];
      const info = spawnSync(command!, [...args, join(ROOT, 'bin/irptrace.js'), 'info', join(dir, 'trace.sqlite'), '--json'], { cwd: ROOT, encoding: 'utf8' });
      expect(info.stderr).toBe('');
      expect(JSON.parse(info.stdout)).toMatchObject({ events: whole.events, end: null });
      expect(readdirSync(dir).sort()).toEqual(['trace.sqlite', 'trace.sqlite-wal']);
    } finally {
      chmodSync(dir, 0o755);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
