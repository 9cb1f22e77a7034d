/**
 * `irptrace replay` as a user runs it (a child process): --at (text and JSON), --irp, the prompt
 * driven through stdin, and the error policy — bad input is one line on stderr and exit 2. The
 * prompt's commands are also driven in-process through streams.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalState, initialState, reduce, type MachineState } from '../../model/index.js';
import { Timeline } from '../../replayer/index.js';
import { runPrompt } from '../../cli/replay/prompt.js';
import { findBuiltin } from '../../scenarios/index.js';
import { irptrace, record, tempDir, type Recording } from './helpers.js';

let tmp: ReturnType<typeof tempDir>;
let demo: Recording;
let sqlite: string;
let arrow: string;
/** A seq where IRPs are live and a routine runs, and the fold there. */
let busy: { seq: number; state: MachineState };

beforeAll(async () => {
  tmp = tempDir();
  demo = await record(findBuiltin('demo')!, { seed: 5, cpus: 2, requests: 40 }, { out: join(tmp.dir, 'demo') });
  sqlite = demo.result.paths.sqlite!;
  arrow = demo.result.paths.arrow!;
  const state = initialState(2);
  for (const e of demo.emitted) {
    reduce(state, e);
    if (e.seq > 300 && state.irps.size >= 2 && state.cpus.some((c) => c.routines.length > 0 && c.frames.length > 0)) {
      busy = { seq: e.seq, state: structuredClone(state) };
      break;
    }
  }
});
afterAll(() => tmp.remove());

describe('irptrace replay --at', () => {
  it('prints the state after that event: CPUs, live IRPs, DPC queues, spin locks', async () => {
    const { code, stdout, stderr } = await irptrace(['replay', arrow, '--at', String(busy.seq)]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^at +#${busy.seq} `));
    const sections = ['CPUs', `IRPs (${busy.state.irps.size} live)`, 'DPC queues', 'spin locks'].map((s) => stdout.indexOf(`\n${s}\n`));
    expect(sections.every((at) => at > 0)).toBe(true);
    expect([...sections].sort((a, b) => a - b)).toEqual(sections);
    for (const id of busy.state.irps.keys()) expect(stdout).toMatch(new RegExp(`^  irp ${id} `, 'm'));
    const running = busy.state.cpus.find((c) => c.routines.length > 0)!;
    expect(stdout).toContain(running.routines.at(-1)!.routine);
    expect(stdout).toContain(`raise frames  ${running.frames[0]!.api}`);
  });

  it('--json gives the same state as data', async () => {
    const { code, stdout } = await irptrace(['replay', sqlite, '--at', String(busy.seq), '--json']);
    expect(code).toBe(0);
    const json = JSON.parse(stdout) as { seq: number; event: unknown; cpus: unknown; irps: unknown; locks: unknown[] };
    const canonical = canonicalState(busy.state) as { cpus: unknown; irps: unknown; locks: unknown[] };
    expect(json.seq).toBe(busy.seq);
    expect(json.event).toEqual(demo.emitted[busy.seq]);
    expect(json.cpus).toEqual(canonical.cpus);
    expect(json.irps).toEqual(canonical.irps);
    expect(json.locks).toHaveLength(canonical.locks.length);
  });
});

describe('irptrace replay with no mode', () => {
  it('--json gives the trace\'s summary as data (it printed the text form); -i refuses --json', async () => {
    const { code, stdout } = await irptrace(['replay', sqlite, '--json']);
    expect(code).toBe(0);
    const json = JSON.parse(stdout) as { events: number; hash: string; end: { endReason: string }; facts: { seed: number } };
    expect([json.events, json.hash, json.end.endReason, json.facts.seed]).toEqual([demo.emitted.length, demo.emitted.at(-1)!.hash, 'completed', 5]);
    const prompt = await irptrace(['replay', sqlite, '-i', '--json'], { stdin: '' });
    expect(prompt.code).toBe(2);
    expect(prompt.stderr).toMatch(/^irptrace: -i is a prompt for a terminal: --json applies to --at, --irp and --verify\n$/);
  });
});

describe('irptrace replay --irp', () => {
  it("prints that IRP's history, one line per event", async () => {
    const id = [...busy.state.irps.keys()][0]!;
    const expected = demo.emitted.filter((e) => e.irp === id || e.master === id);
    const { code, stdout } = await irptrace(['replay', sqlite, '--irp', String(id)]);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines.map((l) => Number(/^#(\d+)/.exec(l)?.[1]))).toEqual(expected.map((e) => e.seq));
    expect(lines[0]).toContain('IrpAllocated');
  });
});

describe('irptrace replay -i', () => {
  it('takes its commands from stdin, without prompt noise; a bad one is reported and makes the exit code 2', async () => {
    const script = ['next 5', 'prev 2', 'goto 120', 'find kind=IrpCompleted', 'rfind IrpAllocated', 'state', 'find colour=red', 'irp 3', 'cpu 1', 'help', 'quit', 'next'].join('\n');
    const { code, stdout, stderr } = await irptrace(['replay', arrow, '-i'], { stdin: `${script}\n` });
    expect(stderr.trim()).toBe('error: bad filter "colour=red": unknown key "colour" (keys: kind, irp, master, cpu, irql, thread, device, routine, driver, api, major, dpc, lock)');
    expect(code).toBe(2);
    expect(stdout).not.toContain('replay #');
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^#0 /);
    expect(lines[1]).toMatch(/^#5 /);
    expect(lines[2]).toMatch(/^#3 /);
    expect(lines[3]).toMatch(/^#120 /);
    const completed = demo.emitted.find((e) => e.seq > 120 && e.kind === 'IrpCompleted')!;
    expect(lines[4]).toMatch(new RegExp(`^#${completed.seq} .*IrpCompleted`));
    const allocated = demo.emitted.filter((e) => e.seq < completed.seq && e.kind === 'IrpAllocated').at(-1)!;
    expect(lines[5]).toMatch(new RegExp(`^#${allocated.seq} .*IrpAllocated`));
    expect(stdout).toContain(`at         #${allocated.seq} `);
    // After the bad command the script goes on: irp 3's history, cpu 1, the help; quit ends it.
    expect(stdout).toMatch(/^#\d+ .*IrpAllocated .*irp 3 /m);
    expect(stdout).toContain('  cpu 1  ');
    expect(stdout).toContain('rfind <filter>');
  });
});

describe('the prompt, in-process', () => {
  async function drive(commands: string[], at?: number): Promise<{ code: number; out: string; err: string }> {
    const timeline = Timeline.open(sqlite);
    const input = new PassThrough();
    const output = new PassThrough();
    const errors = new PassThrough();
    let out = '';
    let err = '';
    output.on('data', (d: Buffer) => { out += d.toString(); });
    errors.on('data', (d: Buffer) => { err += d.toString(); });
    input.end(`${commands.join('\n')}\n`);
    try {
      const code = await runPrompt(timeline, { input, output, errors, interactive: false, ...(at !== undefined ? { at } : {}) });
      return { code, out, err };
    } finally {
      timeline.close();
    }
  }

  it('exits 0 when every command ran', async () => {
    const { code, out, err } = await drive(['next 3', 'state', 'cpu 0', 'quit']);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out.split('\n')[1]).toMatch(/^#3 /);
  });

  it('repeats the last filter, stops at the ends, and explains what it cannot do', async () => {
    const last = demo.emitted.length - 1;
    const { code, out, err } = await drive(['find IrpFreed', 'find', 'f', `goto ${last - 1}`, 'next 5', 'prev 99999', 'goto 99999999', 'cpu 7', 'irp 999999', 'frobnicate', 'next x', 'state now', 'rfind kind=Bugcheck', 'quit please'], 10);
    const freed = demo.emitted.filter((e) => e.seq > 10 && e.kind === 'IrpFreed').slice(0, 3);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^#10 /);
    expect(lines.slice(1, 4).map((l) => Number(/^#(\d+)/.exec(l)?.[1]))).toEqual(freed.map((e) => e.seq));
    expect(lines[4]).toMatch(new RegExp(`^#${last - 1} `));
    expect(lines[5]).toMatch(new RegExp(`^#${last} .*\\(last event\\)$`));
    expect(lines[6]).toMatch(/^#0 .*\(first event\)$/);
    expect(lines[7]).toBe('no event before #0 matches kind=Bugcheck');
    expect(err.trimEnd().split('\n')).toEqual([
      `error: seq 99999999 is out of range: ${sqlite} has seq 0 to ${last}`,
      'error: there is no cpu 7: the trace has cpu 0 to 1',
      'error: irp 999999 does not appear in the trace',
      'error: unknown command "frobnicate" (type help for the commands)',
      'error: "x" is not a non-negative integer (expected a count, e.g. next 10)',
      'error: state takes no argument (got "now")',
      'error: quit takes no argument (got "please")',
    ]);
    expect(code).toBe(2);
  });
});

describe('bad input', () => {
  it('is one line on stderr and exit 2, without a stack', async () => {
    const corrupted = join(tmp.dir, 'corrupted.sqlite');
    copyFileSync(sqlite, corrupted);
    const db = new Database(corrupted);
    db.exec("UPDATE events SET hash = '0123456789abcdef' WHERE seq = 250");
    db.close();
    const newer = join(tmp.dir, 'newer.sqlite');
    copyFileSync(sqlite, newer);
    const db2 = new Database(newer);
    db2.pragma('user_version = 7');
    db2.close();
    const truncated = join(tmp.dir, 'truncated.arrow');
    const bytes = readFileSync(arrow);
    // Cut inside its schema (a file cut after its schema reads up to its last whole batch: below).
    writeFileSync(truncated, bytes.subarray(0, 40));
    const cases: [string[], RegExp][] = [
      [['replay', truncated, '--at', '1'], /^irptrace: .*truncated\.arrow is truncated: it ends inside a record at byte \d+$/],
      [['replay', corrupted, '--at', '1'], /^irptrace: .*corrupted\.sqlite is corrupted at seq 250: its stored hash 0123456789abcdef does not follow from the chain/],
      [['replay', sqlite, '--at', '123456789'], /^irptrace: seq 123456789 is out of range: .* has seq 0 to \d+$/],
      [['replay', newer, '--irp', '1'], /^irptrace: .*newer\.sqlite has trace schema version 7, newer than this irptrace reads \(1\); upgrade irptrace$/],
    ];
    const results = await Promise.all(cases.map(([args]) => irptrace(args)));
    results.forEach(({ code, stdout, stderr }, i) => {
      const [args, pattern] = cases[i]!;
      expect(code, args.join(' ')).toBe(2);
      expect(stdout, args.join(' ')).toBe('');
      expect(stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
      expect(stderr.trimEnd(), args.join(' ')).toMatch(pattern);
    });
  });

  it('an Arrow file cut inside a batch replays up to the batch before, and the summary says where it was cut', async () => {
    const cut = join(tmp.dir, 'cut.arrow');
    const bytes = readFileSync(arrow);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const summary = await irptrace(['replay', cut]);
    expect(summary.code, summary.stderr).toBe(0);
    expect(summary.stdout).toMatch(/^end +unfinished recording \(no end facts\); the file is cut short inside its last message \(which starts at byte [\d,]+\): read up to the batch before$/m);
  });
});
