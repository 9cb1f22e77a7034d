import type { EventEnvelope } from './events/envelope.js';

/** SQL type of a trace column. */
export type ColumnType = 'INTEGER' | 'TEXT';

export interface ColumnSpec {
  /** Column name in SQLite and Arrow (trace-schema.md). */
  readonly name: string;
  /** Field of the event object. */
  readonly field: Exclude<keyof EventEnvelope, 'hash'>;
  readonly type: ColumnType;
}

/**
 * The event columns in contract order, `hash` excluded: this order is also the canonical encoding
 * the chain hash covers (docs/trace-format.md). Append new columns at the end; never reorder.
 */
export const EVENT_COLUMNS: readonly ColumnSpec[] = Object.freeze([
  { name: 'seq', field: 'seq', type: 'INTEGER' },
  { name: 'time_ns', field: 'timeNs', type: 'INTEGER' },
  { name: 'cpu', field: 'cpu', type: 'INTEGER' },
  { name: 'irql', field: 'irql', type: 'INTEGER' },
  { name: 'kind', field: 'kind', type: 'TEXT' },
  { name: 'activation', field: 'activation', type: 'INTEGER' },
  { name: 'routine', field: 'routine', type: 'TEXT' },
  { name: 'driver', field: 'driver', type: 'TEXT' },
  { name: 'device', field: 'device', type: 'TEXT' },
  { name: 'irp', field: 'irp', type: 'INTEGER' },
  { name: 'master', field: 'master', type: 'INTEGER' },
  { name: 'major', field: 'major', type: 'TEXT' },
  { name: 'loc', field: 'loc', type: 'INTEGER' },
  { name: 'status', field: 'status', type: 'INTEGER' },
  { name: 'new_irql', field: 'newIrql', type: 'INTEGER' },
  { name: 'dpc', field: 'dpc', type: 'TEXT' },
  { name: 'lock', field: 'lock', type: 'TEXT' },
  { name: 'vector', field: 'vector', type: 'INTEGER' },
  { name: 'result', field: 'result', type: 'INTEGER' },
  { name: 'api', field: 'api', type: 'TEXT' },
  { name: 'detail', field: 'detail', type: 'TEXT' },
  { name: 'thread', field: 'thread', type: 'INTEGER' },
] as const satisfies readonly ColumnSpec[]);
