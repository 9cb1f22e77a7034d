import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Simulation } from '../model/index.js';
import { recordRun } from '../recorder/index.js';
import { TraceQuery, loadRules, runRules, viewsUsedBy, type RuleTiming } from '../queries/index.js';
import demo from '../scenarios/demo.js';

/**
 * The rule-pack benchmark (issue 5): records a demo trace of `events` events (2 CPUs) into a
 * temporary directory, then times the whole pack over it the way `irptrace check` runs it: open
 * read-only, build the views the rules use (TEMP tables with indexes), run every rule.
 */
export interface QueriesBench {
  readonly events: number;
  readonly rules: number;
  readonly findings: number;
  /** Recording the trace (not part of the pack's time). */
  readonly recordSeconds: number;
  /** Opening the trace and materializing the views. */
  readonly openSeconds: number;
  /** Running the rules. */
  readonly rulesSeconds: number;
  /** open + rules: what `irptrace check` costs beyond start-up. */
  readonly packSeconds: number;
  /** CPU seconds of open + rules (steadier than wall time on a shared machine). */
  readonly packCpuSeconds: number;
  /** The machine's 1-minute load average when the pack ran. */
  readonly load: number;
  /** Rules by time, slowest first. */
  readonly slowest: readonly RuleTiming[];
  /** Rules whose plan scans the events table inside a correlated subquery (once per outer row). */
  readonly scansPerRow: readonly string[];
}

export async function benchQueries(events = 1_000_000, options: { seed?: number; keep?: boolean } = {}): Promise<QueriesBench> {
  const dir = mkdtempSync(join(tmpdir(), 'irptrace-bench-queries-'));
  try {
    const out = join(dir, 'demo');
    const t0 = performance.now();
    const sim = new Simulation(demo, { seed: options.seed ?? 1, cpus: 2, requests: Math.ceil(events / 30), maxEvents: events });
    const recorded = await recordRun(sim, { out, formats: ['sqlite'] });
    const recordSeconds = (performance.now() - t0) / 1000;

    const rules = loadRules();
    const cpu0 = process.cpuUsage();
    const t1 = performance.now();
    const trace = await TraceQuery.open(`${out}.sqlite`, { materialize: viewsUsedBy(rules.map((r) => r.sql)) });
    try {
      const t2 = performance.now();
      const { findings, timings } = runRules(trace, rules);
      const t3 = performance.now();
      const cpu = process.cpuUsage(cpu0);
      return {
        events: recorded.end.eventCount,
        rules: rules.length,
        findings: findings.length,
        recordSeconds,
        openSeconds: (t2 - t1) / 1000,
        rulesSeconds: (t3 - t2) / 1000,
        packSeconds: (t3 - t1) / 1000,
        packCpuSeconds: (cpu.user + cpu.system) / 1e6,
        load: loadavg()[0] ?? 0,
        slowest: [...timings].sort((a, b) => b.ms - a.ms),
        scansPerRow: rules.filter((r) => scansPerRow(trace, r.sql)).map((r) => r.id),
      };
    } finally {
      trace.close();
    }
  } finally {
    if (options.keep !== true) rmSync(dir, { recursive: true, force: true });
  }
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

/** Prints the figures (what bench/main.ts shows). */
export function formatQueriesBench(b: QueriesBench): string {
  const lines = [
    `rule pack over a ${b.events.toLocaleString('en-US')}-event demo trace (${b.rules} rules, ${b.findings} findings)`,
    `  pack: ${b.packSeconds.toFixed(2)} s wall, ${b.packCpuSeconds.toFixed(2)} s CPU (open + views ${b.openSeconds.toFixed(2)} s, rules ${b.rulesSeconds.toFixed(2)} s; target < 2 s); load average ${b.load.toFixed(1)}; recording took ${b.recordSeconds.toFixed(1)} s`,
    `  slowest rules: ${b.slowest.slice(0, 5).map((t) => `${t.rule} ${t.ms.toFixed(0)} ms`).join(', ')}`,
    `  rules scanning events once per row: ${b.scansPerRow.length === 0 ? 'none' : b.scansPerRow.join(', ')}`,
  ];
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const events = Number(process.env.IRPTRACE_BENCH_EVENTS ?? 1_000_000);
  console.log(formatQueriesBench(await benchQueries(events, { keep: process.env.KEEP === '1' })));
}
