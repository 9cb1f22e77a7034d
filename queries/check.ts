import { TraceQuery, QueryError } from './engine.js';
import { loadRules, RuleError, type Rule, type RuleSelection, type Severity } from './rules.js';
import { viewsUsedBy } from './views.js';

/** An event a finding involves, as the check output shows it. */
export interface FindingEvent {
  readonly seq: number;
  readonly timeNs: number;
  readonly cpu: number | null;
  readonly kind: string;
  readonly routine: string | null;
  readonly irp: number | null;
}

/** One violation: a row a rule returned. */
export interface Finding {
  readonly rule: string;
  readonly severity: Severity;
  readonly title: string;
  readonly message: string;
  /** The events involved, `seq` first (where `replay --at` travels), then seq2, seq3, …; NULLs dropped. */
  readonly events: readonly FindingEvent[];
  /** `irptrace replay <trace> --at <seq>`. */
  readonly replay: string;
}

export interface RuleTiming {
  readonly rule: string;
  readonly ms: number;
  readonly findings: number;
}

export interface CheckResult {
  readonly trace: string;
  readonly rules: readonly Rule[];
  readonly findings: readonly Finding[];
  /** Counts by severity. */
  readonly counts: Readonly<Record<Severity, number>>;
  /** True when an error or fatal rule fired: `irptrace check` exits 1. */
  readonly failed: boolean;
  /** Time to open the trace and build the views the rules use, then each rule's time. */
  readonly timing: { readonly openMs: number; readonly rules: readonly RuleTiming[] };
}

export interface CheckOptions extends RuleSelection {}

/**
 * Runs the rule pack (or the selected rules, plus extra rule directories) over a trace file (SQLite
 * or Arrow) and returns the findings in trace order. Throws RuleError for bad rules or unknown ids,
 * and the recorder's TraceNotFoundError / TraceFormatError / TraceVersionError for bad traces.
 *
 * @example
 * ```ts
 * const { findings, failed } = await checkTrace('traces/demo-seed1.sqlite');
 * ```
 */
export async function checkTrace(path: string, options: CheckOptions = {}): Promise<CheckResult> {
  const rules = loadRules(options);
  const started = performance.now();
  const trace = await TraceQuery.open(path, { materialize: viewsUsedBy(rules.map((r) => r.sql)) });
  try {
    const openMs = performance.now() - started;
    const { timings, ...result } = runRules(trace, rules);
    return { ...result, trace: path, rules, timing: { openMs, rules: timings } };
  } finally {
    trace.close();
  }
}

/** Runs rules on an opened trace. */
export function runRules(trace: TraceQuery, rules: readonly Rule[]): Omit<CheckResult, 'trace' | 'rules' | 'timing'> & { timings: RuleTiming[] } {
  const findings: (Finding & { order: number })[] = [];
  const timings: RuleTiming[] = [];
  const eventStmt = trace.db.prepare('SELECT seq, time_ns, cpu, kind, routine, irp FROM events WHERE seq = ?').raw(true);
  let order = 0;
  for (const rule of rules) {
    const t0 = performance.now();
    let result;
    try {
      result = trace.query(rule.sql);
    } catch (error) {
      const detail = error instanceof QueryError ? error.describe() : String(error);
      throw new RuleError(`${rule.file}: ${detail}`);
    }
    const seqColumns = result.columns
      .map((name, index) => ({ name, index, n: name === 'seq' ? 1 : /^seq(\d+)$/.test(name) ? Number(name.slice(3)) : -1 }))
      .filter((c) => c.n > 0)
      .sort((a, b) => a.n - b.n);
    const messageIndex = result.columns.indexOf('message');
    if (seqColumns[0]?.name !== 'seq' || messageIndex === -1) {
      throw new RuleError(`${rule.file}: the statement must return columns "seq" and "message" (it returns ${result.columns.join(', ') || 'nothing'})`);
    }
    for (const row of result.rows) {
      const seqs = seqColumns.map((c) => row[c.index]).filter((v): v is number => typeof v === 'number');
      const events = seqs.map((seq) => {
        const e = eventStmt.get(seq) as [number, number, number | null, string, string | null, number | null] | undefined;
        return e === undefined
          ? { seq, timeNs: 0, cpu: null, kind: '?', routine: null, irp: null }
          : { seq: e[0], timeNs: e[1], cpu: e[2], kind: e[3], routine: e[4], irp: e[5] };
      });
      const at = seqs[0] ?? 0;
      findings.push({
        rule: rule.id, severity: rule.severity, title: rule.title, message: String(row[messageIndex] ?? ''),
        events, replay: `irptrace replay ${shellQuote(trace.path)} --at ${at}`, order: order++,
      });
    }
    timings.push({ rule: rule.id, ms: performance.now() - t0, findings: result.rows.length });
  }
  findings.sort((a, b) => (a.events[0]?.seq ?? 0) - (b.events[0]?.seq ?? 0) || a.order - b.order);
  const counts: Record<Severity, number> = { fatal: 0, error: 0, warning: 0 };
  for (const f of findings) counts[f.severity]++;
  return {
    findings: findings.map(({ order: _order, ...f }) => f),
    counts,
    failed: counts.fatal + counts.error > 0,
    timings,
  };
}

function shellQuote(path: string): string {
  return /^[\w./:@%+=,-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}
