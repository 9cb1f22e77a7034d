import { EVENT_KINDS, isEventKind, type EventEnvelope, type TraceEvent } from '../model/index.js';
import { FilterError } from './errors.js';

/** The keys a filter may test, with the event field and trace column each one reads. */
const KEYS = {
  kind: { field: 'kind', column: 'kind', type: 'text' },
  irp: { field: 'irp', column: 'irp', type: 'int' },
  master: { field: 'master', column: 'master', type: 'int' },
  cpu: { field: 'cpu', column: 'cpu', type: 'int' },
  irql: { field: 'irql', column: 'irql', type: 'int' },
  thread: { field: 'thread', column: 'thread', type: 'int' },
  device: { field: 'device', column: 'device', type: 'text' },
  routine: { field: 'routine', column: 'routine', type: 'text' },
  driver: { field: 'driver', column: 'driver', type: 'text' },
  api: { field: 'api', column: 'api', type: 'text' },
  major: { field: 'major', column: 'major', type: 'text' },
  dpc: { field: 'dpc', column: 'dpc', type: 'text' },
  lock: { field: 'lock', column: 'lock', type: 'text' },
} as const satisfies Record<string, { field: keyof EventEnvelope; column: string; type: 'int' | 'text' }>;

export type FilterKey = keyof typeof KEYS;

export const FILTER_KEYS: readonly FilterKey[] = Object.freeze(Object.keys(KEYS) as FilterKey[]);

/** One `key=value[,value…]` term: the event's column equals one of the values. */
export interface FilterClause {
  readonly key: FilterKey;
  /** Column name in the trace (SQLite, Arrow). */
  readonly column: string;
  readonly field: keyof EventEnvelope;
  readonly type: 'int' | 'text';
  readonly values: readonly (string | number)[];
}

/** Terms that must all hold (AND); the values of one term are alternatives (OR). */
export interface EventFilter {
  readonly text: string;
  readonly clauses: readonly FilterClause[];
}

const lowerKinds = new Map(EVENT_KINDS.map((k) => [k.toLowerCase(), k]));

/**
 * Parses a filter: space-separated `key=value` terms, all of which must hold; `key=a,b` accepts
 * either value; a bare word is a kind (`find IrpCompleted irp=4`). Keys: kind, irp, master, cpu,
 * irql, thread, device, routine, driver, api, major, dpc, lock. An unknown key or kind, or a
 * non-integer where an integer is expected, is a FilterError.
 *
 * @example
 * ```ts
 * const f = parseFilter('kind=IrpCompleted,IrpFreed cpu=1');
 * events.filter((e) => matches(f, e));
 * ```
 */
export function parseFilter(text: string): EventFilter {
  const terms = text.trim().split(/\s+/).filter((t) => t !== '');
  if (terms.length === 0) throw new FilterError(text, `say what to match, e.g. kind=IrpCompleted irp=4 (keys: ${FILTER_KEYS.join(', ')})`);
  const clauses: FilterClause[] = [];
  for (const term of terms) {
    const eq = term.indexOf('=');
    const key = eq < 0 ? 'kind' : term.slice(0, eq).toLowerCase();
    const raw = eq < 0 ? term : term.slice(eq + 1);
    if (!Object.prototype.hasOwnProperty.call(KEYS, key)) {
      throw new FilterError(text, eq < 0 ? `"${term}" is neither an event kind nor key=value` : `unknown key "${term.slice(0, eq)}" (keys: ${FILTER_KEYS.join(', ')})`);
    }
    const spec = KEYS[key as FilterKey];
    const parts = raw.split(',');
    if (parts.some((p) => p === '')) throw new FilterError(text, `"${term}" has an empty value`);
    const values = parts.map((p) => value(text, key as FilterKey, spec.type, p));
    clauses.push({ key: key as FilterKey, column: spec.column, field: spec.field, type: spec.type, values });
  }
  return Object.freeze({ text: terms.join(' '), clauses: Object.freeze(clauses) });
}

function value(text: string, key: FilterKey, type: 'int' | 'text', raw: string): string | number {
  if (type === 'int') {
    const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n)) throw new FilterError(text, `${key} takes an integer, not "${raw}"`);
    return n;
  }
  if (key === 'kind') {
    const kind = isEventKind(raw) ? raw : lowerKinds.get(raw.toLowerCase());
    if (kind === undefined) throw new FilterError(text, `unknown event kind "${raw}"`);
    return kind;
  }
  return raw;
}

/** Whether an event passes the filter. */
export function matches(filter: EventFilter, e: TraceEvent): boolean {
  for (const c of filter.clauses) {
    const v = e[c.field];
    if (v === null || !c.values.includes(v)) return false;
  }
  return true;
}

/** The terms zone maps can answer (see checkpoints.ts): the IRP ids and kinds the filter allows (null: any). */
export function zoneTerms(filter: EventFilter): { readonly irp: readonly number[] | null; readonly kinds: readonly string[] | null } {
  let irp: number[] | null = null;
  let kinds: string[] | null = null;
  for (const c of filter.clauses) {
    if (c.key === 'irp') irp = intersect(irp, c.values as number[]);
    if (c.key === 'kind') kinds = intersect(kinds, c.values as string[]);
  }
  return { irp, kinds };
}

function intersect<T>(a: T[] | null, b: readonly T[]): T[] {
  return a === null ? [...b] : a.filter((x) => b.includes(x));
}
