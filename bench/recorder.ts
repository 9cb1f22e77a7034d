import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { Simulation, type TraceEvent } from '../model/index.js';
import { recordRun, type SqliteWriterPlacement, type TraceFormat } from '../recorder/index.js';
import { createTraceSql, insertEventsSql, RECORDING_PRAGMAS, ROWS_PER_INSERT } from '../recorder/schema.sql.js';
import demo from '../scenarios/demo.js';

/**
 * Recorder benchmarks (issue 3): recording the demo workload to SQLite, Arrow and both, against
 * baselines measured in the same process — the raw better-sqlite3 multi-row insert of the same
 * rows in one transaction (no simulation), a naive JSON-lines writer, and the simulation alone.
 * Each measure reports wall-clock events/s and CPU seconds (all threads, process.cpuUsage).
 */
export interface Measure {
  readonly name: string;
  readonly events: number;
  readonly wallSeconds: number;
  /** User + system CPU of the whole process (the SQLite writer thread included). */
  readonly cpuSeconds: number;
  readonly bytes?: number;
  /** Of wallSeconds, the part spent completing the files after the run (SQLite's index build). */
  readonly finishSeconds?: number;
  /**
   * CPU seconds of the SQLite writer thread (Linux only): sampled while the run goes, plus the
   * finish (the thread builds the indexes while the main thread waits). Unlike wall time, it hardly
   * depends on what else the machine runs: compare it with the raw insert's cpuSeconds.
   */
  readonly writerCpuSeconds?: number;
}

/** CPU seconds of each thread of this process, by thread id (empty where /proc is not there). */
function threadCpu(): Map<string, number> {
  const cpu = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return cpu;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime and stime, in clock ticks (USER_HZ, 100 on Linux).
      cpu.set(tid, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // The thread ended.
    }
  }
  return cpu;
}

/**
 * Samples the threads' CPU every 50 ms (the simulation yields to the event loop often enough) and
 * returns, when stopped, the CPU seconds of the busiest thread started after `watch()`: the SQLite
 * writer thread. null when no such thread was seen.
 */
function watchNewThreads(): () => number | null {
  const before = threadCpu();
  const seen = new Map<string, number>();
  const sample = (): void => { for (const [tid, cpu] of threadCpu()) if (!before.has(tid)) seen.set(tid, cpu); };
  const timer = setInterval(sample, 50);
  // No last sample: the timer cannot fire while the main thread waits for the finish, so the
  // samples end with the run (the caller adds the finish), up to 50 ms early.
  return () => {
    clearInterval(timer);
    return seen.size === 0 ? null : Math.max(...seen.values());
  };
}

export const eventsPerSecond = (m: Measure): number => m.events / m.wallSeconds;

/** A demo simulation that stops at `events` events. */
export function demoSimulation(events: number, seed = 1): Simulation {
  return new Simulation(demo, { seed, cpus: 2, requests: Math.ceil(events / 30), maxEvents: events });
}

async function measure(name: string, events: () => Promise<number> | number, bytes?: () => number, finishSeconds?: () => number): Promise<Measure> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const n = await events();
  const wallSeconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    name, events: n, wallSeconds, cpuSeconds: (cpu.user + cpu.system) / 1e6,
    ...(bytes ? { bytes: bytes() } : {}), ...(finishSeconds ? { finishSeconds: finishSeconds() } : {}),
  };
}

function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'irptrace-bench-'));
}

/** Simulation only: every event through the stream to one counting subscriber. */
export function simulateOnly(events: number): Promise<Measure> {
  return measure('simulate only', async () => {
    const sim = demoSimulation(events);
    let n = 0;
    sim.events$.subscribe(() => { n++; });
    await sim.run();
    return n;
  });
}

/** recordRun of the demo workload to the given formats. */
export async function recordOnce(events: number, formats: readonly TraceFormat[], sqliteWriter: SqliteWriterPlacement = 'auto'): Promise<Measure> {
  const dir = scratchDir();
  const out = join(dir, 'trace');
  try {
    const label = formats.includes('sqlite') && sqliteWriter !== 'auto' ? ` (${sqliteWriter} writer)` : '';
    let finishMs = 0;
    let writerCpu: number | null = null;
    const m = await measure(`record ${formats.join('+')}${label}`, async () => {
      const stop = watchNewThreads();
      const { end, wall } = await recordRun(demoSimulation(events), { out, formats, sqliteWriter });
      writerCpu = stop();
      finishMs = wall.finishMs;
      return end.eventCount;
    }, () => formats.reduce((sum, f) => sum + statSync(`${out}.${f}`).size, 0), () => finishMs / 1000);
    // The samples end with the run; during the finish the writer thread alone works.
    return writerCpu !== null && formats.includes('sqlite') && sqliteWriter === 'worker' ? { ...m, writerCpuSeconds: writerCpu + finishMs / 1000 } : m;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The events of a demo run, kept in memory (baselines that write pre-built rows). */
export async function collectEvents(events: number): Promise<TraceEvent[]> {
  const sim = demoSimulation(events);
  const all: TraceEvent[] = [];
  sim.events$.subscribe((e) => all.push(e));
  await sim.run();
  return all;
}

/**
 * Baseline: the same rows, already built, inserted by better-sqlite3 into the same STRICT table in
 * one transaction with the same multi-row INSERT bound the same way (`run(...args)`): what the
 * database alone costs.
 */
export async function rawInsert(rows: readonly TraceEvent[]): Promise<Measure> {
  const dir = scratchDir();
  const path = join(dir, 'raw.sqlite');
  try {
    return await measure('raw better-sqlite3 insert (pre-built rows, 1 txn)', () => {
      const db = new Database(path);
      for (const p of RECORDING_PRAGMAS) db.pragma(p);
      for (const sql of createTraceSql()) db.exec(sql);
      const per = ROWS_PER_INSERT;
      const stmt = db.prepare(insertEventsSql(per));
      const args = new Array<unknown>(per * 23);
      db.transaction(() => {
        let i = 0;
        for (; i + per <= rows.length; i += per) {
          for (let j = 0, k = 0; j < per; j++, k += 23) fill(args, k, rows[i + j]!);
          stmt.run(...args);
        }
        const rest = rows.length - i;
        if (rest > 0) {
          const tail = new Array<unknown>(rest * 23);
          for (let j = 0, k = 0; j < rest; j++, k += 23) fill(tail, k, rows[i + j]!);
          db.prepare(insertEventsSql(rest)).run(...tail);
        }
      })();
      db.close();
      return rows.length;
    }, () => statSync(path).size);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function fill(args: unknown[], k: number, e: TraceEvent): void {
  args[k] = e.seq; args[k + 1] = e.timeNs; args[k + 2] = e.cpu; args[k + 3] = e.irql; args[k + 4] = e.kind;
  args[k + 5] = e.activation; args[k + 6] = e.routine; args[k + 7] = e.driver; args[k + 8] = e.device;
  args[k + 9] = e.irp; args[k + 10] = e.master; args[k + 11] = e.major; args[k + 12] = e.loc; args[k + 13] = e.status;
  args[k + 14] = e.newIrql; args[k + 15] = e.dpc; args[k + 16] = e.lock; args[k + 17] = e.vector; args[k + 18] = e.result;
  args[k + 19] = e.api; args[k + 20] = e.detail; args[k + 21] = e.thread; args[k + 22] = e.hash;
}

/** Baseline: a naive recorder writing JSON lines, one fs.writeSync per 4096 events, while simulating. */
export async function jsonLines(events: number): Promise<Measure> {
  const dir = scratchDir();
  const path = join(dir, 'trace.jsonl');
  try {
    return await measure('JSON lines (writeSync per 4096 events)', async () => {
      const fd = openSync(path, 'w');
      const sim = demoSimulation(events);
      let lines: string[] = [];
      let n = 0;
      sim.events$.subscribe({
        next: (e) => {
          lines.push(JSON.stringify(e));
          if (lines.length === 4096) { writeSync(fd, `${lines.join('\n')}\n`); lines = []; }
          n++;
        },
        complete: () => { if (lines.length > 0) writeSync(fd, `${lines.join('\n')}\n`); },
      });
      await sim.run();
      closeSync(fd);
      return n;
    }, () => statSync(path).size);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const BASELINES = fileURLToPath(new URL('./baselines/', import.meta.url));

/**
 * Makes sure the emmett baseline package (bench/baselines) is installed: installs it on first use
 * (npm compiles sqlite3 from source, about 2 minutes) unless IRPTRACE_BENCH_EMMETT=0. Returns why
 * not, when it is not available.
 */
export function ensureEmmettBaseline(): string | null {
  if (existsSync(join(BASELINES, 'node_modules', '@event-driven-io', 'emmett-sqlite'))) return null;
  if (process.env.IRPTRACE_BENCH_EMMETT === '0') return 'not installed (IRPTRACE_BENCH_EMMETT=0)';
  process.stderr.write('installing the emmett-sqlite baseline in bench/baselines (compiles sqlite3: about 2 minutes)…\n');
  const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: BASELINES, stdio: ['ignore', 'ignore', 'inherit'] });
  return npm.status === 0 ? null : `npm install in bench/baselines failed (exit ${npm.status})`;
}

/**
 * Baseline: @event-driven-io/emmett-sqlite's appendToStream of the same events (100 per call) into
 * its SQLite event store (node-sqlite3, asynchronous). A string says why it was skipped.
 */
export async function emmettAppend(rows: readonly TraceEvent[]): Promise<Measure | string> {
  const missing = ensureEmmettBaseline();
  if (missing !== null) return missing;
  const { appendAll } = (await import(pathToFileURL(join(BASELINES, 'emmett.mjs')).href)) as {
    appendAll: (fileName: string, events: readonly TraceEvent[], perCall: number) => Promise<number>;
  };
  const dir = scratchDir();
  const path = join(dir, 'emmett.sqlite');
  try {
    return await measure('emmett-sqlite appendToStream (100 per call)', () => appendAll(path, rows, 100), () => statSync(path).size);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Peak RSS (MB) of recording `events` demo events to both formats, in this process, and the RSS
 * sampled at every tenth of the run (flat means memory does not grow with the run).
 */
export async function peakRssRecording(events: number, sqliteWriter: SqliteWriterPlacement = 'auto'): Promise<{ measure: Measure; peakRssMb: number; samplesMb: number[] }> {
  const dir = scratchDir();
  const out = join(dir, 'trace');
  const samplesMb: number[] = [];
  let next = events / 10;
  try {
    const m = await measure(`record sqlite+arrow (${sqliteWriter} writer)`, async () => {
      const { end } = await recordRun(demoSimulation(events), {
        out, sqliteWriter,
        onProgress: (p) => {
          if (p.events >= next) { samplesMb.push(Math.round(process.memoryUsage().rss / 2 ** 20)); next += events / 10; }
        },
      });
      return end.eventCount;
    }, () => statSync(`${out}.sqlite`).size + statSync(`${out}.arrow`).size);
    return { measure: m, peakRssMb: process.resourceUsage().maxRSS / 1024, samplesMb };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One line per measure: events/s, CPU s, ratio to a baseline. */
export function formatMeasures(measures: readonly Measure[], baseline?: Measure): string[] {
  const width = Math.max(...measures.map((m) => m.name.length));
  return measures.map((m) => {
    const rate = `${(eventsPerSecond(m) / 1000).toFixed(0)} k/s`.padStart(9);
    const cpu = `cpu ${m.cpuSeconds.toFixed(2)} s (${(m.events / m.cpuSeconds / 1000).toFixed(0)} k/cpu-s)`;
    const ratio = baseline ? `  × raw: ${(eventsPerSecond(m) / eventsPerSecond(baseline)).toFixed(2)}` : '';
    const size = m.bytes !== undefined ? `  ${(m.bytes / m.events).toFixed(0)} B/event` : '';
    const finish = m.finishSeconds !== undefined && m.finishSeconds > 0.05
      ? `  (of which ${m.finishSeconds.toFixed(2)} s finishing; without it ${(m.events / (m.wallSeconds - m.finishSeconds) / 1000).toFixed(0)} k/s${baseline ? `, × raw ${((m.events / (m.wallSeconds - m.finishSeconds)) / eventsPerSecond(baseline)).toFixed(2)}` : ''})`
      : '';
    const writer = m.writerCpuSeconds !== undefined
      ? `  (writer thread cpu ≈ ${m.writerCpuSeconds.toFixed(2)} s${baseline ? `; raw insert cpu / writer cpu ${(baseline.cpuSeconds / m.writerCpuSeconds).toFixed(2)}` : ''})`
      : '';
    return `  ${m.name.padEnd(width)}  ${rate}  ${cpu}${ratio}${size}${finish}${writer}`;
  });
}

/**
 * `node --import tsx bench/recorder.ts [events] [runs]`: every measure, best of `runs`;
 * IRPTRACE_BENCH_RECORDER_ONLY=raw,sim,inline,worker,arrow,both-inline,both,json,emmett picks some;
 * IRPTRACE_BENCH_EMMETT=0 skips installing the emmett baseline; IRPTRACE_BENCH_WRITER picks the
 * SQLite writer of the RSS mode; with IRPTRACE_BENCH_RSS=1, only the peak RSS of one recording of
 * `events` (default 10M).
 */
async function main(): Promise<void> {
  const rssMode = process.env.IRPTRACE_BENCH_RSS === '1';
  const events = Number(process.argv[2] ?? (rssMode ? 10_000_000 : 1_000_000));
  const runs = Number(process.argv[3] ?? 2);
  const writer = (process.env.IRPTRACE_BENCH_WRITER ?? 'auto') as SqliteWriterPlacement;
  if (rssMode) {
    const { measure: m, peakRssMb, samplesMb } = await peakRssRecording(events, writer);
    console.log(formatMeasures([m]).join('\n'));
    console.log(`  peak RSS: ${peakRssMb.toFixed(0)} MB; RSS at each tenth of the run: ${samplesMb.join(', ')} MB`);
    return;
  }
  const best = async (f: () => Promise<Measure>): Promise<Measure> => {
    let top: Measure | null = null;
    for (let i = 0; i < runs; i++) {
      const m = await f();
      if (top === null || eventsPerSecond(m) > eventsPerSecond(top)) top = m;
    }
    return top!;
  };
  const only = process.env.IRPTRACE_BENCH_RECORDER_ONLY?.split(',');
  const want = (key: string): boolean => only === undefined || only.includes(key);
  const results: Measure[] = [];
  let raw: Measure | undefined;
  if (want('raw')) {
    const rows = await collectEvents(events);
    raw = await best(() => rawInsert(rows));
    results.push(raw);
  }
  if (want('sim')) results.push(await best(() => simulateOnly(events)));
  if (want('inline')) results.push(await best(() => recordOnce(events, ['sqlite'], 'inline')));
  if (want('worker')) results.push(await best(() => recordOnce(events, ['sqlite'], 'worker')));
  if (want('arrow')) results.push(await best(() => recordOnce(events, ['arrow'])));
  if (want('both-inline')) results.push(await best(() => recordOnce(events, ['sqlite', 'arrow'], 'inline')));
  let both: Measure | undefined;
  if (want('both')) results.push((both = await best(() => recordOnce(events, ['sqlite', 'arrow'], 'worker'))));
  if (want('json')) results.push(await best(() => jsonLines(events)));
  let emmett: Measure | string | undefined;
  if (want('emmett')) {
    const count = Math.min(events, Number(process.env.IRPTRACE_BENCH_EMMETT_EVENTS ?? 50_000));
    emmett = await emmettAppend(await collectEvents(count));
    if (typeof emmett !== 'string') results.push(emmett);
  }
  console.log(`recorder bench: ${events.toLocaleString('en-US')} demo events, best of ${runs}, Node ${process.version}`);
  console.log(formatMeasures(results, raw).join('\n'));
  if (typeof emmett === 'string') console.log(`  emmett-sqlite baseline skipped: ${emmett}`);
  if (raw !== undefined && both?.finishSeconds !== undefined) console.log(indexCeiling(raw, both.finishSeconds));
}

/**
 * What the index build leaves for the bulk write: recording at 0.9 × the raw insert must take at most
 * raw / 0.9 in all, so with the index build measured (`finishSeconds`) the bulk write would have to
 * run that much faster than the raw insert of the same rows; and a bulk write exactly as fast as the
 * raw insert, plus that index build, reaches raw / (raw + finish).
 */
function indexCeiling(raw: Measure, finishSeconds: number): string {
  const budget = raw.wallSeconds / 0.9;
  const bulk = budget - finishSeconds;
  const atRawSpeed = raw.wallSeconds / (raw.wallSeconds + finishSeconds);
  return `  index build ${finishSeconds.toFixed(2)} s: 0.9 × raw (${budget.toFixed(2)} s in all) needs the bulk write in ${bulk.toFixed(2)} s, ${(bulk / raw.wallSeconds).toFixed(2)} × the raw insert's own ${raw.wallSeconds.toFixed(2)} s; at the raw insert's speed it reaches ${atRawSpeed.toFixed(2)} × raw`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
