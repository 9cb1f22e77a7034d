import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Simulation } from '../model/index.js';
import { recordRun } from '../recorder/index.js';
import { TraceQuery, VIEW_NAMES, loadRules, runPack, type CheckResult, type Rule, type RuleTiming } from '../queries/index.js';
import demo from '../scenarios/demo.js';

/**
 * The rule-pack benchmark (issue 5): records a demo trace of `events` events (2 CPUs, SQLite and
 * Arrow) into a temporary directory, then times the whole pack over each file the way
 * `irptrace check` runs it (runPack): open read-only, build the views the rules use (TEMP tables with
 * indexes), run every rule; a SQLite trace on two threads, an Arrow trace on one after loading it
 * into memory. Each figure is the best of `runs`.
 */
export interface PackFigure {
  readonly format: 'sqlite' | 'arrow';
  readonly findings: number;
  /** Everything: open (and, for Arrow, load), views, rules, findings. */
  readonly packSeconds: number;
  /** CPU seconds of the process over the same span, both threads (steadier than wall time on a shared machine). */
  readonly packCpuSeconds: number;
  /** Arrow only: loading the file into the in-memory database (inside packSeconds). */
  readonly loadSeconds: number;
  /** packSeconds without loadSeconds. */
  readonly afterLoadSeconds: number;
  readonly threads: number;
  /** Each thread's views and the time it took to build them; each thread's rules' total time. */
  readonly views: CheckResult['timing']['views'];
  readonly rulesSeconds: readonly number[];
  /** Rules by time, slowest first (from the best run). */
  readonly slowest: readonly RuleTiming[];
  readonly runs: readonly { readonly wall: number; readonly cpu: number; readonly load: number }[];
}

export interface QueriesBench {
  readonly events: number;
  readonly rules: number;
  /** Recording the trace (not part of the pack's time). */
  readonly recordSeconds: number;
  readonly sqlite: PackFigure;
  readonly arrow: PackFigure | null;
  /** The pack on the Arrow trace with its SQLite twin beside it (read through the twin). */
  readonly arrowTwinSeconds: number | null;
  /** Rules whose plan scans a table once per row of an outer loop (see scansPerRow). */
  readonly scansPerRow: readonly string[];
}

export async function benchQueries(events = 1_000_000, options: { seed?: number; keep?: boolean; runs?: number; arrow?: boolean } = {}): Promise<QueriesBench> {
  const dir = mkdtempSync(join(tmpdir(), 'irptrace-bench-queries-'));
  try {
    const out = join(dir, 'demo');
    const withArrow = options.arrow ?? true;
    const t0 = performance.now();
    const sim = new Simulation(demo, { seed: options.seed ?? 1, cpus: 2, requests: Math.ceil(events / 30), maxEvents: events });
    const recorded = await recordRun(sim, { out, formats: withArrow ? ['sqlite', 'arrow'] : ['sqlite'] });
    const recordSeconds = (performance.now() - t0) / 1000;

    const rules = loadRules();
    const runs = options.runs ?? 3;
    const sqlite = await figure(`${out}.sqlite`, 'sqlite', rules, runs);
    // Beside its SQLite twin an Arrow trace is read through it (queries/sqlite-twin.ts): one run of
    // that, then the Arrow file alone, loaded into memory.
    const twin = withArrow ? await figure(`${out}.arrow`, 'arrow', rules, 1) : null;
    if (withArrow) renameSync(`${out}.arrow`, `${out}-alone.arrow`);
    const arrow = withArrow ? await figure(`${out}-alone.arrow`, 'arrow', rules, Math.min(runs, 2)) : null;

    const trace = await TraceQuery.open(`${out}.sqlite`, { materialize: VIEW_NAMES });
    try {
      return {
        events: recorded.end.eventCount, rules: rules.length, recordSeconds, sqlite, arrow, arrowTwinSeconds: twin?.packSeconds ?? null,
        scansPerRow: rules.filter((r) => scansPerRow(trace, r.sql)).map((r) => r.id),
      };
    } finally {
      trace.close();
    }
  } finally {
    if (options.keep !== true) rmSync(dir, { recursive: true, force: true });
  }
}

async function figure(path: string, format: 'sqlite' | 'arrow', rules: readonly Rule[], runs: number): Promise<PackFigure> {
  let best: { result: CheckResult; wall: number; cpu: number } | null = null;
  const all: { wall: number; cpu: number; load: number }[] = [];
  for (let i = 0; i < runs; i++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const result = await runPack(path, rules);
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(cpu0);
    const cpu = (c.user + c.system) / 1e6;
    all.push({ wall, cpu, load: loadavg()[0] ?? 0 });
    if (best === null || wall < best.wall) best = { result, wall, cpu };
  }
  const { result, wall, cpu } = best!;
  const loadSeconds = format === 'arrow' ? result.timing.loadMs / 1000 : 0;
  const threads = result.timing.threads;
  return {
    format, findings: result.findings.length, packSeconds: wall, packCpuSeconds: cpu, loadSeconds, afterLoadSeconds: wall - loadSeconds,
    threads, views: result.timing.views,
    rulesSeconds: Array.from({ length: threads }, (_, t) => result.timing.rules.filter((r) => r.thread === t).reduce((s, r) => s + r.ms, 0) / 1000),
    slowest: [...result.timing.rules].sort((a, b) => b.ms - a.ms),
    runs: all,
  };
}

/**
 * Whether a statement's plan scans a table (events or a view, without an index) inside a correlated
 * subquery, i.e. once per row of an outer loop: the plan shape the pack must not have.
 */
export function scansPerRow(trace: TraceQuery, sql: string): boolean {
  const plan = trace.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { id: number; parent: number; detail: string }[];
  const byId = new Map(plan.map((p) => [p.id, p]));
  return plan.some((p) => {
    if (!/^SCAN /.test(p.detail) || /USING (COVERING )?INDEX|CONSTANT ROW/.test(p.detail)) return false;
    for (let up = byId.get(p.parent); up !== undefined; up = byId.get(up.parent)) {
      if (/CORRELATED/.test(up.detail)) return true;
    }
    return false;
  });
}

function formatFigure(f: PackFigure): string[] {
  const s = (x: number): string => x.toFixed(2);
  const load = f.format === 'arrow' ? `, of which loading the Arrow file into memory ${s(f.loadSeconds)} s (pack after the load ${s(f.afterLoadSeconds)} s)` : '';
  return [
    `  ${f.format}: ${s(f.packSeconds)} s wall, ${s(f.packCpuSeconds)} s CPU on ${f.threads} thread${f.threads === 1 ? '' : 's'}${load}; ${f.findings} findings`,
    `    views: ${f.views.map((v) => `thread ${v.thread} ${v.views.join(' + ') || 'none'} ${s(v.ms / 1000)} s`).join('; ')}`,
    `    rules: ${f.rulesSeconds.map((r, t) => `thread ${t} ${s(r)} s`).join('; ')}`,
    `    slowest rules: ${f.slowest.slice(0, 5).map((t) => `${t.rule} ${t.ms.toFixed(0)} ms`).join(', ')}`,
    `    runs (wall/CPU s, load average): ${f.runs.map((r) => `${s(r.wall)}/${s(r.cpu)} (${r.load.toFixed(1)})`).join(', ')}`,
  ];
}

/** Prints the figures (what bench/main.ts shows). */
export function formatQueriesBench(b: QueriesBench): string {
  const lines = [
    `rule pack over a ${b.events.toLocaleString('en-US')}-event demo trace (${b.rules} rules; target < 2 s; best of the runs; recording took ${b.recordSeconds.toFixed(1)} s)`,
    ...formatFigure(b.sqlite),
    ...(b.arrow !== null ? formatFigure(b.arrow) : []),
    ...(b.arrowTwinSeconds !== null ? [`  arrow with its SQLite twin beside it (read through the twin): ${b.arrowTwinSeconds.toFixed(2)} s wall`] : []),
    `  rules scanning a table once per row: ${b.scansPerRow.length === 0 ? 'none' : b.scansPerRow.join(', ')}`,
  ];
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const events = Number(process.env.IRPTRACE_BENCH_EVENTS ?? 1_000_000);
  const runs = Number(process.env.IRPTRACE_BENCH_RUNS ?? 3);
  console.log(formatQueriesBench(await benchQueries(events, { keep: process.env.KEEP === '1', runs, arrow: process.env.IRPTRACE_BENCH_ARROW !== '0' })));
}
