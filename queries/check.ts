import { Worker } from 'node:worker_threads';
import { READING_PRAGMAS, TraceQuery, QueryError } from './engine.js';
import { loadRules, RuleError, type Rule, type RuleSelection, type Severity } from './rules.js';
import { viewStatements, viewsUsedBy, type ViewName } from './views.js';

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
  /** Which connection ran it: 0 the main thread, 1 the second thread (see CheckResult.timing). */
  readonly thread: number;
}

export interface CheckResult {
  readonly trace: string;
  /** The file the rules read: the trace, or the SQLite twin of an Arrow trace (queries/sqlite-twin.ts). */
  readonly source: string;
  readonly rules: readonly Rule[];
  readonly findings: readonly Finding[];
  /** Counts by severity. */
  readonly counts: Readonly<Record<Severity, number>>;
  /** True when an error or fatal rule fired: `irptrace check` exits 1. */
  readonly failed: boolean;
  /** Events in the trace. */
  readonly events: number;
  /** False for a recording that did not finish (killed): rules about what never happened stay silent on it. */
  readonly finished: boolean;
  /**
   * Wall-clock milliseconds: `openMs` to open the trace and build the views the main thread's rules
   * use (for an Arrow trace this includes loading it into memory, `loadMs`), `threads` the connections that
   * ran rules (2: a SQLite trace, whose views and rules are split over two threads), `views` each
   * thread's time to build its views, then each rule's time.
   */
  readonly timing: {
    /** Opening the trace, before any view: for an Arrow trace, loading it into memory. Part of openMs. */
    readonly loadMs: number;
    readonly openMs: number;
    readonly threads: number;
    readonly views: readonly { readonly thread: number; readonly views: readonly ViewName[]; readonly ms: number }[];
    readonly rules: readonly RuleTiming[];
  };
}

export interface CheckOptions extends RuleSelection {
  /** Split the views and rules of a SQLite trace over two threads (default true). */
  readonly parallel?: boolean;
}

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
  return runPack(path, loadRules(options), options.parallel ?? true);
}

/**
 * Runs rules over a trace file the way `irptrace check` does. A SQLite trace with its indexes is
 * opened by two connections, one per thread: the rules are split by the views they read (those
 * reading routine_runs and completion_walks on the second thread, which builds those views; the
 * others, with irp_lifetimes, on the main thread), so the two costly halves run at once. An Arrow
 * trace lives in the main thread's memory and runs on one connection.
 */
export async function runPack(path: string, rules: readonly Rule[], parallel = true): Promise<CheckResult> {
  const started = performance.now();
  let second: SecondThread | null = null;
  let mainRules: readonly Rule[] = rules;
  let views: { thread: number; views: ViewName[]; ms: number }[] = [];
  let loadMs = 0;
  const trace = await TraceQuery.open(path, {
    beforeViews: ({ fileBacked, file }) => {
      loadMs = performance.now() - started;
      const split = parallel && fileBacked ? splitRules(rules) : { main: rules, second: [] };
      if (split.second.length > 0) {
        second = startSecondThread(file, split.second);
        mainRules = split.main;
      }
      const wanted = viewsUsedBy(mainRules.map((r) => r.sql));
      views = [{ thread: 0, views: wanted, ms: 0 }];
      return wanted;
    },
  });
  try {
    const openMs = performance.now() - started;
    views[0]!.ms = openMs - loadMs;
    // Every rule is prepared here first, so a bad one is refused or reported the same way wherever it runs.
    for (const rule of rules) prepareRule(trace, rule);
    const results = new Map<string, RuleRows>();
    for (const rule of mainRules) results.set(rule.id, ruleRows(trace, rule, 0));
    if (second !== null) {
      const done = await (second as SecondThread).result;
      views = [...views, { thread: 1, views: (second as SecondThread).views, ms: done.viewsMs }];
      for (const r of done.results) results.set(r.id, { ...r, thread: 1 });
    }
    const { timings, ...result } = findingsOf(trace, rules, results);
    return { ...result, trace: path, source: trace.source, rules, timing: { loadMs, openMs, threads: second === null ? 1 : 2, views, rules: timings } };
  } finally {
    if (second !== null) void (second as SecondThread).worker.terminate();
    trace.close();
  }
}

/** Runs rules on an opened trace, on its connection. */
export function runRules(trace: TraceQuery, rules: readonly Rule[]): Omit<CheckResult, 'trace' | 'source' | 'rules' | 'timing'> & { timings: RuleTiming[] } {
  const results = new Map<string, RuleRows>();
  for (const rule of rules) results.set(rule.id, ruleRows(trace, rule, 0));
  return findingsOf(trace, rules, results);
}

/** Views the second thread builds: the routine_runs family. Rules reading irp_lifetimes stay on the main thread. */
const SECOND_THREAD_VIEWS: readonly ViewName[] = ['routine_runs', 'completion_walks', 'dpc_runs', 'isr_runs'];

/**
 * What building a view costs, counted in rules (a rule takes about 20 ms on a 1M-event trace),
 * from `npm run bench`: irp_lifetimes about 0.87 s; routine_runs and completion_walks together
 * about 1.2 s. Views not listed count as a few rules.
 */
const VIEW_COST_IN_RULES: Partial<Record<ViewName, number>> = { irp_lifetimes: 43, routine_runs: 45, completion_walks: 15 };
const OTHER_VIEW_COST_IN_RULES = 8;

/**
 * The rules for each thread: those whose views are all of the routine_runs family go to the second
 * thread, those reading irp_lifetimes or irql_intervals stay, and those reading no view fill the
 * lighter side by the views' measured costs, so that both threads end at about the same time.
 */
export function splitRules(rules: readonly Rule[]): { main: Rule[]; second: Rule[] } {
  const main: Rule[] = [];
  const second: Rule[] = [];
  const free: Rule[] = [];
  for (const rule of rules) {
    const used = viewsUsedBy([rule.sql]);
    if (used.length === 0) free.push(rule);
    else if (used.every((v) => SECOND_THREAD_VIEWS.includes(v))) second.push(rule);
    else main.push(rule);
  }
  const weight = (list: readonly Rule[]): number =>
    viewsUsedBy(list.map((r) => r.sql)).reduce((sum, v) => sum + (VIEW_COST_IN_RULES[v] ?? OTHER_VIEW_COST_IN_RULES), list.length);
  for (const rule of free) (weight(second) < weight(main) ? second : main).push(rule);
  const order = new Map(rules.map((r, i) => [r.id, i]));
  const byOrder = (a: Rule, b: Rule): number => order.get(a.id)! - order.get(b.id)!;
  return { main: main.sort(byOrder), second: second.sort(byOrder) };
}

interface RuleRows {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
  readonly ms: number;
  readonly thread: number;
}

interface SecondThread {
  readonly worker: Worker;
  readonly views: ViewName[];
  readonly result: Promise<{ viewsMs: number; results: { id: string; columns: string[]; rows: unknown[][]; ms: number }[] }>;
}

function startSecondThread(path: string, rules: readonly Rule[]): SecondThread {
  const views = viewsUsedBy(rules.map((r) => r.sql));
  const worker = new Worker(new URL('./check-worker.mjs', import.meta.url), {
    workerData: { path, pragmas: READING_PRAGMAS, statements: viewStatements(views), rules: rules.map((r) => ({ id: r.id, sql: r.sql })) },
  });
  const byId = new Map(rules.map((r) => [r.id, r]));
  const result = new Promise<Awaited<SecondThread['result']>>((resolve, reject) => {
    worker.once('message', (message: { error?: string; rule?: string | null } & Awaited<SecondThread['result']>) => {
      if (message.error === undefined) resolve(message);
      else {
        const rule = message.rule === null || message.rule === undefined ? undefined : byId.get(message.rule);
        reject(rule !== undefined ? new RuleError(`${rule.file}: ${message.error}`) : new Error(`rule pack thread: ${message.error}`));
      }
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`rule pack thread exited with code ${code}`)));
  });
  result.catch(() => {});
  return { worker, views, result };
}

/** A rule's statement failing, located in its file as compilers do (`file:line:column: message`). */
function ruleError(rule: Rule, error: unknown): RuleError {
  const at = error instanceof QueryError ? error.location() : null;
  if (at === null) return new RuleError(`${rule.file}: ${error instanceof Error ? error.message : String(error)}`);
  return new RuleError(`${rule.file}:${rule.line + at.line - 1}:${at.column}: ${(error as QueryError).message}`);
}

function prepareRule(trace: TraceQuery, rule: Rule): void {
  try {
    trace.prepare(rule.sql);
  } catch (error) {
    throw ruleError(rule, error);
  }
}

function ruleRows(trace: TraceQuery, rule: Rule, thread: number): RuleRows {
  const t0 = performance.now();
  try {
    const { columns, rows } = trace.query(rule.sql);
    return { columns, rows, ms: performance.now() - t0, thread };
  } catch (error) {
    throw ruleError(rule, error);
  }
}

/** The findings of the rules' rows, in trace order, with the events they involve looked up. */
function findingsOf(trace: TraceQuery, rules: readonly Rule[], results: ReadonlyMap<string, RuleRows>): Omit<CheckResult, 'trace' | 'source' | 'rules' | 'timing'> & { timings: RuleTiming[] } {
  const findings: (Finding & { order: number })[] = [];
  const timings: RuleTiming[] = [];
  const eventStmt = trace.db.prepare('SELECT seq, time_ns, cpu, kind, routine, irp FROM events WHERE seq = ?').raw(true);
  let order = 0;
  for (const rule of rules) {
    const result = results.get(rule.id)!;
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
    timings.push({ rule: rule.id, ms: result.ms, findings: result.rows.length, thread: result.thread });
  }
  findings.sort((a, b) => (a.events[0]?.seq ?? 0) - (b.events[0]?.seq ?? 0) || a.order - b.order);
  const counts: Record<Severity, number> = { fatal: 0, error: 0, warning: 0 };
  for (const f of findings) counts[f.severity]++;
  const events = trace.db.prepare('SELECT count(*) FROM events').pluck().get() as number;
  const endReason = trace.db.prepare('SELECT end_reason FROM sessions LIMIT 1').pluck().get() as string | null | undefined;
  return {
    findings: findings.map(({ order: _order, ...f }) => f),
    counts,
    failed: counts.fatal + counts.error > 0,
    events,
    finished: endReason !== null && endReason !== undefined,
    timings,
  };
}

function shellQuote(path: string): string {
  return /^[\w./:@%+=,-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}
