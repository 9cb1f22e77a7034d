// The command line, run for real: `node bin/irptrace.js …` as a child process, the way a user runs it.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'irptrace.js');
/** Where commands run unless a test says otherwise: default traces land here, not in the repository. */
const WORK = mkdtempSync(join(tmpdir(), 'irptrace-cli-work-'));

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function irptrace(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd: options.cwd ?? WORK, env: { ...process.env, ...options.env } }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number') reject(error);
      else resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr });
    });
  });
}

/** A scenario written outside the package, importing it by name as a user's file would. */
const USER_SCENARIO = `
import { defineScenario, DO_DEVICE_INITIALIZING, IRP_MJ_READ, STATUS_SUCCESS, type DeviceObject, type DriverObject, type Irp, type NtStatus } from 'irptrace';

export default defineScenario({
  name: 'complete-in-dispatch',
  description: 'one driver that completes every read in its dispatch routine',
  devices: [{ name: 'dev0', vector: 0x51, irql: 5, stack: ['null'] }],
  requests: 3,
  *workload(_rng, count) {
    for (let i = 0; i < count; i++) yield { major: 'read', length: 512 };
  },
  drivers: (k) => [{
    name: 'null',
    DriverEntry(DriverObject: DriverObject): NtStatus {
      DriverObject.MajorFunction[IRP_MJ_READ] = async (_DeviceObject: DeviceObject, Irp: Irp): Promise<NtStatus> => {
        if (process.env.SCENARIO_THROWS) throw new Error('bug in the driver');
        if (process.env.SCENARIO_HANGS) await new Promise(() => {});
        Irp.IoStatus.Status = STATUS_SUCCESS;
        Irp.IoStatus.Information = 0;
        await k.IoCompleteRequest(Irp, 0);
        return STATUS_SUCCESS;
      };
      DriverObject.DriverExtension.AddDevice = async (Driver: DriverObject, Pdo: DeviceObject): Promise<NtStatus> => {
        const { status, DeviceObject } = k.IoCreateDevice(Driver, {}, 'null0');
        k.IoAttachDeviceToDeviceStack(DeviceObject, Pdo);
        DeviceObject.Flags &= ~DO_DEVICE_INITIALIZING;
        return status;
      };
      return STATUS_SUCCESS;
    },
  }],
});
`;

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'irptrace-cli-'));
  await writeFile(join(dir, 'no-default.ts'), 'export const scenario = 1;\n');
  await writeFile(join(dir, 'user-scenario.ts'), USER_SCENARIO);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(WORK, { recursive: true, force: true });
});

describe('irptrace scenarios', () => {
  it('--json lists the built-ins, demo among them, with the rules they plant', async () => {
    const { code, stdout } = await irptrace(['scenarios', '--json']);
    expect(code).toBe(0);
    const list = JSON.parse(stdout) as { name: string; description: string; plants: string[] }[];
    const demo = list.find((s) => s.name === 'demo');
    expect(demo).toBeDefined();
    expect(demo!.description.length).toBeGreaterThan(0);
    expect(demo!.plants).toEqual([]);
  });
});

describe('irptrace run', () => {
  it('--json reports events, a 16-hex-digit hash and the end reason; the same seed gives the same hash', async () => {
    const runs = await Promise.all([1, 2].map(() => irptrace(['run', 'demo', '--requests', '5', '--json', '--no-record'])));
    const [a, b] = runs.map((r) => {
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout) as { events: number; hash: string; endReason: string; requests: { issued: number; completed: number }; irps: { live: number } };
    });
    expect(a!.events).toBeGreaterThan(0);
    expect(a!.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(a!.endReason).toBe('completed');
    expect(a!.requests).toEqual({ issued: 5, completed: 5 });
    expect(a!.irps.live).toBe(0);
    expect(b!.hash).toBe(a!.hash);
    expect(b!.events).toBe(a!.events);
  });

  it('prints a readable summary', async () => {
    const { code, stdout } = await irptrace(['run', 'demo', '--requests', '5']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^end\s+completed$/m);
    expect(stdout).toMatch(/^hash\s+[0-9a-f]{16}$/m);
    expect(stdout).toContain('events by kind');
  });

  it('stops at --max-events with the end reason limit', async () => {
    const { code, stdout } = await irptrace(['run', 'demo', '--max-events', '50', '--json', '--no-record']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ events: 50, endReason: 'limit' });
  });

  it('--no-threaded-dpcs runs threaded DPCs as ordinary ones (ThreadDpcEnable = 0: k:introduction-to-threaded-dpcs), and the trace re-executes that way (replay --verify)', async () => {
    const out = join(dir, 'threaded-off');
    const run = await irptrace(['run', 'threaded-dpc', '--requests', '5', '--no-threaded-dpcs', '--out', out, '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ config: { threadDpcEnable: false }, endReason: 'completed' });
    const kinds = await irptrace(['query', `${out}.sqlite`, "SELECT DISTINCT api FROM events WHERE kind = 'RoutineEntered' AND routine = 'DiskThreadedDpc'", '--format', 'json']);
    expect(JSON.parse(kinds.stdout)).toEqual([{ api: 'Dpc' }]);
    const verify = await irptrace(['replay', `${out}.sqlite`, '--verify']);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^identical: \d+ events/);
    expect(verify.stdout).toContain('threaded DPCs off');
    // Without the flag the scenario's machine decides: threaded DPCs on.
    const on = await irptrace(['run', 'threaded-dpc', '--requests', '5', '--no-record', '--json']);
    expect(JSON.parse(on.stdout).config.threadDpcEnable).toBe(true);
  });

  it("runs a user's scenario file from outside the package, importing 'irptrace'", async () => {
    const { code, stdout, stderr } = await irptrace(['run', './user-scenario.ts', '--json'], { cwd: dir });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ scenario: 'complete-in-dispatch', endReason: 'completed', requests: { issued: 3, completed: 3 } });
  });

  it('a trace of a scenario file given by a relative path re-executes from any directory (replay --verify)', async () => {
    // Two levels below the scenario: the replayer's fallbacks (the trace's directory and its parent) do not find it.
    const out = join(dir, 'relative', 'deeper', 'user');
    expect((await irptrace(['run', './user-scenario.ts', '--out', out], { cwd: dir })).code).toBe(0);
    const verify = await irptrace(['replay', `${out}.sqlite`, '--verify'], { cwd: WORK });
    expect(verify.stderr).toBe('');
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^identical: \d+ events/);
    expect(verify.stdout).toContain(join(dir, 'user-scenario.ts'));
  });

  it('reports a scenario that throws as an error run: exit code 1, the error in the summary', async () => {
    const { code, stdout } = await irptrace(['run', './user-scenario.ts', '--json'], { cwd: dir, env: { SCENARIO_THROWS: '1' } });
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as { endReason: string; error: string };
    expect(report.endReason).toBe('error');
    expect(report.error).toContain('bug in the driver');
  });

  it('a routine awaiting a promise that never settles ends the run with an error naming it, and the trace is kept (Node would otherwise exit silently, code 13)', async () => {
    const out = join(dir, 'hangs');
    const { code, stdout, stderr } = await irptrace(['run', './user-scenario.ts', '--out', out, '--json'], { cwd: dir, env: { SCENARIO_HANGS: '1' } });
    expect(code, stderr).toBe(1);
    const report = JSON.parse(stdout) as { endReason: string; error: string; events: number };
    expect(report.endReason).toBe('error');
    expect(report.error).toMatch(/awaits a promise that never settles/);
    const info = await irptrace(['info', `${out}.sqlite`, '--json'], { cwd: dir });
    expect(JSON.parse(info.stdout)).toMatchObject({ events: report.events, end: { endReason: 'error' } });
  });
});

describe('bad input: one line on stderr, exit code 2, no stack trace', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['an unknown scenario', () => ['run', 'no-such-scenario'], /unknown scenario "no-such-scenario"/],
    ['an empty trace path', () => ['info', ''], /^irptrace: no trace: the path given is empty$/],
    ['a number past 2^53', () => ['run', 'demo', '--max-events', '99999999999999999'], /expected an integer from 2 to 9007199254740991 \(99999999999999999 is too large\)/],
    ['an empty rules directory path', () => ['check', 'x.sqlite', '--rules', ''], /^irptrace: --rules: the directory given is empty$/],
    ['check without a trace', () => ['check'], /^irptrace: missing required argument 'trace' \(see: irptrace check --help\)$/],
    ['a seed that is not an integer', () => ['run', 'demo', '--seed', 'abc'], /--seed/],
    ['zero CPUs', () => ['run', 'demo', '--cpus', '0'], /--cpus/],
    ['a missing file', () => ['run', join(dir, 'missing.ts')], /no such scenario file/],
    ['a file without a default export', () => ['run', join(dir, 'no-default.ts')], /no default export/],
    ['an unknown option', () => ['run', 'demo', '--bogus'], /unknown option '--bogus'/],
    ['an unknown trace format', () => ['run', 'demo', '--format', 'csv'], /--format/],
    ['an output directory that cannot be written', () => ['run', 'demo', '--requests', '1', '--out', '/proc/irptrace-no/x'], /cannot|writ/i],
    ['info on a missing trace', () => ['info', join(dir, 'missing.sqlite')], /missing\.sqlite/],
    ['info on a file that is not a trace', () => ['info', join(dir, 'no-default.ts')], /not/],
    ['--no-record with options about the trace', () => ['run', 'demo', '--no-record', '--out', join(dir, 'x'), '--check'], /--no-record writes no trace, so --out, --check cannot apply/],
    ['an empty --out', () => ['run', 'demo', '--out', ''], /--out .* expected a path prefix that names a file/],
    ['an --out that is a directory', () => ['run', 'demo', '--out', `${dir}/`], /--out .* expected a path prefix that names a file/],
    ['check with the trace after --rule (which takes every word after it)', () => ['check', '--rule', 'UseAfterRelease', join(dir, 'x.sqlite')], /missing the trace: put it before --rule/],
    ['info on a directory', () => ['info', dir], /is not an irptrace trace: it is a directory/],
    ['check on a directory', () => ['check', dir], /is not an irptrace trace: it is a directory/],
    ['query on a directory', () => ['query', dir, 'SELECT 1'], /is not an irptrace trace: it is a directory/],
    ['replay on a directory', () => ['replay', dir, '--at', '1'], /is not an irptrace trace: it is a directory/],
  ];
  it.concurrent.each(cases)('%s', async (_what, args, message) => {
    const { code, stdout, stderr } = await irptrace(args());
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const lines = stderr.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^irptrace: /);
    expect(lines[0]).toMatch(message);
    expect(stderr).not.toMatch(/^\s+at /m);
  });
});

describe('a damaged trace: check and query say so in one line, exit code 2', () => {
  it('a SQLite trace with a page overwritten in the middle', async () => {
    const out = join(dir, 'damaged');
    expect((await irptrace(['run', 'demo', '--requests', '200', '--format', 'sqlite', '--out', out])).code).toBe(0);
    const path = `${out}.sqlite`;
    const bytes = readFileSync(path);
    bytes.fill(0xab, bytes.length >> 1, (bytes.length >> 1) + 4096);
    writeFileSync(path, bytes);
    for (const args of [['check', path], ['query', path, 'SELECT count(*), sum(status) FROM events']]) {
      const { code, stderr } = await irptrace(args);
      expect(code).toBe(2);
      expect(stderr.split('\n').filter((l) => l !== '')).toEqual([`irptrace: ${path} is a damaged or truncated trace: the file is corrupt`]);
    }
  });
});

describe('recording: run writes SQLite and Arrow traces; info reads them', () => {
  it('--out writes both files; info on each gives the run\'s event count and final hash; the same --out again is refused without --force', async () => {
    const out = join(dir, 'rec', 'demo5');
    const run = await irptrace(['run', 'demo', '--requests', '5', '--out', out, '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { events: number; hash: string; trace: { sqlite: string; arrow: string } };
    expect(report.trace).toEqual({ sqlite: `${out}.sqlite`, arrow: `${out}.arrow` });
    for (const file of [report.trace.sqlite, report.trace.arrow]) {
      const info = await irptrace(['info', file, '--json']);
      expect(info.code).toBe(0);
      const parsed = JSON.parse(info.stdout) as { events: number; end: { endReason: string; finalHash: string; eventCount: number } };
      expect(parsed.events).toBe(report.events);
      expect(parsed.end).toMatchObject({ endReason: 'completed', finalHash: report.hash, eventCount: report.events });
    }
    // The text form says the configuration in words.
    const text = await irptrace(['info', report.trace.arrow]);
    expect(text.stdout).toMatch(/^config +seed 1, 2 CPUs, 5 requests$/m);
    const again = await irptrace(['run', 'demo', '--requests', '5', '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr.split('\n').filter((l) => l !== '')).toHaveLength(1);
    expect(again.stderr).toMatch(/exists/);
    expect((await irptrace(['run', 'demo', '--requests', '5', '--out', out, '--force'])).code).toBe(0);
  });

  it('without --out, traces go to ./traces/<scenario>-seed<N>, a fresh name each time; --format sqlite writes only that', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'irptrace-cli-default-'));
    try {
      expect((await irptrace(['run', 'demo', '--requests', '2', '--seed', '4'], { cwd })).code).toBe(0);
      expect((await irptrace(['run', 'demo', '--requests', '2', '--seed', '4', '--format', 'sqlite'], { cwd })).code).toBe(0);
      expect(existsSync(join(cwd, 'traces', 'demo-seed4.sqlite'))).toBe(true);
      expect(existsSync(join(cwd, 'traces', 'demo-seed4.arrow'))).toBe(true);
      expect(existsSync(join(cwd, 'traces', 'demo-seed4-2.sqlite'))).toBe(true);
      expect(existsSync(join(cwd, 'traces', 'demo-seed4-2.arrow'))).toBe(false);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it('run, info and replay say how a run ended: the threads a stalled run left waiting (where, on what), the bug check of a crashed one', async () => {
    const stalled = join(dir, 'stalled');
    const run = await irptrace(['run', 'thread-not-terminated', '--out', stalled]);
    const waiting = 'thread 2 (worker.WorkerThread) in WorkerThread, on disk0.worker.Work';
    expect(run.stdout).toContain(`stalled (no work left to run, but threads still waiting: ${waiting})`);
    for (const file of [`${stalled}.sqlite`, `${stalled}.arrow`]) {
      expect((await irptrace(['info', file])).stdout).toMatch(new RegExp(`^end +stalled \\(threads still waiting: ${waiting.replace(/[().]/g, '\\$&')}\\)$`, 'm'));
    }
    expect((await irptrace(['replay', `${stalled}.sqlite`])).stdout).toContain(waiting);
    // The machine at the end shows the thread that waits, off every CPU, in its start routine.
    const last = (JSON.parse((await irptrace(['info', `${stalled}.sqlite`, '--json'])).stdout) as { events: number }).events - 1;
    const atEnd = (await irptrace(['replay', `${stalled}.sqlite`, '--at', String(last)])).stdout;
    expect(atEnd).toMatch(/^threads off the CPUs\n {2}thread 2 {2}PASSIVE_LEVEL\n.*\n {9}routines {6}SystemThread WorkerThread \(worker\) #\d+$/m);
    const crashed = join(dir, 'crashed');
    await irptrace(['run', 'double-completion', '--out', crashed]);
    expect((await irptrace(['info', `${crashed}.arrow`])).stdout).toMatch(/^end +bugcheck MULTIPLE_IRP_COMPLETE_REQUESTS$/m);
  });

  it('--check runs the rule pack: a buggy stack is caught by the rule it plants (exit 1), the demo is clean (exit 0)', async () => {
    const buggy = await irptrace(['run', 'pending-but-success', '--requests', '10', '--out', join(dir, 'buggy'), '--check', '--json']);
    expect(buggy.code).toBe(1);
    const findings = (JSON.parse(buggy.stdout) as { check: { findings: { rule: string }[] } }).check.findings;
    expect(findings.map((f) => f.rule)).toContain('MarkPendingWithoutStatusPending');
    const clean = await irptrace(['run', 'demo', '--requests', '10', '--out', join(dir, 'clean'), '--check', '--json']);
    expect(clean.code).toBe(0);
    expect((JSON.parse(clean.stdout) as { check: { findings: unknown[] } }).check.findings).toEqual([]);
  });
});

describe('irptrace start (npm start, the main job)', () => {
  it('records the demo into ./traces/, checks it clean, and suggests next commands that work from where it ran', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'irptrace-start-'));
    try {
      const { code, stdout } = await irptrace(['start'], { cwd });
      expect(code).toBe(0);
      expect(existsSync(join(cwd, 'traces', 'demo-seed1.sqlite'))).toBe(true);
      expect(existsSync(join(cwd, 'traces', 'demo-seed1.arrow'))).toBe(true);
      expect(stdout).toMatch(/^rule pack \(\d+ rules\) over traces[/\\]demo-seed1\.sqlite:$/m);
      // The example scenario file is named by a path from the user's directory, and is there.
      const example = /^ {2}irptrace run (\S+minimal\.ts) /m.exec(stdout)?.[1];
      expect(example).toBeDefined();
      expect(existsSync(join(cwd, example!))).toBe(true);
      // npm test is irptrace's own suite: suggested only in its directory.
      expect(stdout).not.toMatch(/^ {2}npm test/m);
      const info = await irptrace(['info', join(cwd, 'traces', 'demo-seed1.sqlite'), '--json'], { cwd });
      expect(JSON.parse(info.stdout)).toMatchObject({ end: { endReason: 'completed' } });
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
