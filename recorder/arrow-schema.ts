import { Dictionary, Field, Int16, Int32, Int64, Schema, Utf8, type DataType } from 'apache-arrow';
import { EVENT_COLUMNS } from '../model/index.js';
import { INT_COLUMNS, TEXT_COLUMNS, type IntColumn, type TextColumn } from './columnar.js';
import { SCHEMA_VERSION } from './schema.sql.js';
import type { SessionEnd, SessionFacts } from './session.js';

/**
 * Arrow width of each INTEGER column. Int64 wherever the model puts no bound on the value (times,
 * sequence numbers, ids, NTSTATUS and API results as any JS integer); Int32 for the ones the
 * simulated machine bounds (processor, IRQL, stack location, vector, thread).
 */
export const ARROW_INT_WIDTH: Readonly<Record<IntColumn, 32 | 64>> = Object.freeze({
  seq: 64, time_ns: 64, cpu: 32, irql: 32, activation: 64, irp: 64, master: 64, loc: 32, status: 64,
  new_irql: 32, vector: 32, result: 64, thread: 32,
});

/**
 * Fixed dictionary ids of the dictionary-encoded columns (Int16 indices). Fixed ids and one Schema
 * per recording are what keep the stream writer from silently dropping batches
 * (performance-notes §2.2). `detail` (free JSON) is plain Utf8.
 */
export const DICTIONARY_IDS: Readonly<Record<Exclude<TextColumn, 'detail'>, number>> = Object.freeze({
  kind: 0, routine: 1, driver: 2, device: 3, major: 4, dpc: 5, lock: 6, api: 7,
});

/** Columns every event has. */
const REQUIRED = new Set(['seq', 'time_ns', 'kind', 'hash']);

/** Schema metadata keys (session facts, written first) and trailer keys (end facts, written last). */
export const META = Object.freeze({
  schema: 'irptrace.schema',
  sessionId: 'irptrace.session_id',
  scenario: 'irptrace.scenario',
  seed: 'irptrace.seed',
  cpus: 'irptrace.cpus',
  config: 'irptrace.config',
  toolVersion: 'irptrace.tool_version',
  startedAt: 'irptrace.started_at',
  endedAt: 'irptrace.ended_at',
  endReason: 'irptrace.end_reason',
  eventCount: 'irptrace.event_count',
  finalHash: 'irptrace.final_hash',
});

function typeOf(name: string): DataType {
  if ((INT_COLUMNS as readonly string[]).includes(name)) return ARROW_INT_WIDTH[name as IntColumn] === 64 ? new Int64() : new Int32();
  if (name === 'detail' || name === 'hash') return new Utf8();
  if ((TEXT_COLUMNS as readonly string[]).includes(name)) return new Dictionary(new Utf8(), new Int16(), DICTIONARY_IDS[name as Exclude<TextColumn, 'detail'>]);
  throw new Error(`recorder/arrow-schema.ts does not know the column ${name}; add it`);
}

/** The trace's Arrow schema: EVENT_COLUMNS then `hash`, with the session facts as metadata. */
export function traceSchema(session: SessionFacts): Schema {
  const fields = [...EVENT_COLUMNS.map((c) => c.name), 'hash'].map((name) => new Field(name, typeOf(name), !REQUIRED.has(name)));
  return new Schema(fields, sessionMetadata(session));
}

export function sessionMetadata(session: SessionFacts): Map<string, string> {
  return new Map([
    [META.schema, String(SCHEMA_VERSION)],
    [META.sessionId, session.id],
    [META.scenario, session.scenario],
    [META.seed, String(session.seed)],
    [META.cpus, String(session.cpus)],
    [META.config, session.config],
    [META.toolVersion, session.toolVersion],
    [META.startedAt, session.startedAt],
  ]);
}

/**
 * The end facts, as the custom metadata of the stream's last record batch (zero rows): a stream's
 * schema metadata is written first and can't be amended, and a trailer batch keeps the trace one
 * self-describing file. No trailer means the recording did not finish.
 */
export function trailerMetadata(end: SessionEnd): Map<string, string> {
  return new Map([
    [META.endedAt, end.endedAt],
    [META.endReason, end.endReason],
    [META.eventCount, String(end.eventCount)],
    [META.finalHash, end.finalHash],
  ]);
}
