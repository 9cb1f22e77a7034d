import type { RunReport } from './execute.js';

const integer = new Intl.NumberFormat('en-US');
const n = (value: number): string => integer.format(value);

/** The human-readable summary of a run, as `run` and `start` print it. */
export function formatReport(r: RunReport): string {
  const { config } = r;
  const rows: [string, string][] = [
    ['scenario', r.scenario],
    ['config', `seed ${config.seed}, ${config.cpus} CPU${config.cpus === 1 ? '' : 's'}, ${n(config.requests)} requests${config.maxEvents < Number.MAX_SAFE_INTEGER ? `, max ${n(config.maxEvents)} events` : ''}${config.threadDpcEnable ? '' : ', threaded DPCs off'}`],
    ['end', describeEnd(r)],
    ['events', n(r.events)],
    ['requests', `${n(r.requests.issued)} issued, ${n(r.requests.completed)} completed`],
    ['IRPs', `${n(r.irps.allocated)} allocated, ${n(r.irps.freed)} freed, ${n(r.irps.live)} live at end`],
    ['simulated', formatNs(r.simulatedNs)],
    ['wall', `${formatMs(r.wall.ms)} (${n(r.wall.eventsPerSecond)} events/s)`],
    ['hash', r.hash],
    ...(r.trace === undefined ? [] : [['trace', [r.trace.sqlite, r.trace.arrow].filter((p) => p !== undefined).join(', ')] as [string, string]]),
  ];
  const kinds = Object.entries(r.byKind).map(([kind, count]): [string, string] => [kind, n(count)]);
  return [...table(rows), '', 'events by kind', ...table(kinds, { indent: '  ', alignRight: true })].join('\n');
}

function describeEnd(r: RunReport): string {
  switch (r.endReason) {
    case 'bugcheck':
      return r.bugcheck === undefined ? 'BUGCHECK' : `BUGCHECK ${describeBugcheck(r.bugcheck)}: the simulated machine crashed`;
    case 'error':
      return `ERROR: the scenario threw: ${r.error ?? 'unknown error'}`;
    case 'limit':
      return `limit (stopped at --max-events ${n(r.config.maxEvents)})`;
    case 'stalled':
      return `stalled (no work left to run, but threads still waiting${describeWaiting(r.waiting ?? [])})`;
    case 'interrupted':
      return 'interrupted';
    case 'completed':
      return 'completed';
  }
}

/** `: thread 2 (worker.WorkerThread) in WorkerThread, on disk0.worker.Work; …` */
export function describeWaiting(waiting: NonNullable<RunReport['waiting']>): string {
  if (waiting.length === 0) return '';
  const each = waiting.map((w) => `thread ${w.thread} (${w.name})${w.routine === null ? '' : ` in ${w.routine}`}${w.object === null ? '' : `, on ${w.object}`}`);
  return `: ${each.join('; ')}`;
}

/** What the SessionEnded detail says about how the run ended: the error, the bug check, who a stalled run left waiting. */
export function whyEnded(reason: string, detail: string | null): string {
  let parsed: { error?: unknown; bugcheck?: unknown; waiting?: unknown };
  try {
    parsed = detail === null ? {} : (JSON.parse(detail) as typeof parsed);
  } catch {
    return '';
  }
  if (reason === 'error' && typeof parsed.error === 'string') return `: ${parsed.error}`;
  if (reason === 'bugcheck' && typeof parsed.bugcheck === 'string') return ` ${parsed.bugcheck}`;
  if (reason === 'stalled' && Array.isArray(parsed.waiting)) return ` (threads still waiting${describeWaiting(parsed.waiting as Parameters<typeof describeWaiting>[0])})`;
  return '';
}

function describeBugcheck(b: NonNullable<RunReport['bugcheck']>): string {
  const code = `0x${b.code.toString(16).toUpperCase().padStart(2, '0')}`;
  const parameters = Object.entries(b.parameters).map(([k, v]) => `${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return `${code} ${b.name}${parameters.length > 0 ? ` (${parameters.join(', ')})` : ''}`;
}

/** Rows of two columns, the first padded to the widest; numbers may be right-aligned. */
function table(rows: readonly (readonly [string, string])[], options: { indent?: string; alignRight?: boolean } = {}): string[] {
  const indent = options.indent ?? '';
  const keyWidth = Math.max(0, ...rows.map(([k]) => k.length));
  const valueWidth = Math.max(0, ...rows.map(([, v]) => v.length));
  return rows.map(([k, v]) => `${indent}${k.padEnd(keyWidth)}  ${options.alignRight === true ? v.padStart(valueWidth) : v}`);
}

function formatNs(ns: number): string {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(3)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(3)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(3)} µs`;
  return `${ns} ns`;
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}
