import { createReadStream, existsSync } from 'node:fs';
import { RecordBatchReader, type Data, type RecordBatch, type Schema, type Vector } from 'apache-arrow';
import type { EndReason, TraceEvent } from '../model/index.js';
import { META } from './arrow-schema.js';
import { TraceFormatError, TraceNotFoundError, TraceVersionError } from './errors.js';
import { eventFromRow } from './event-object.js';
import type { StoredSession } from './read-sqlite.js';
import { EVENT_TABLE_COLUMNS, SCHEMA_VERSION } from './schema.sql.js';
import type { SessionFacts } from './session.js';

/** What a scan of an Arrow trace found besides its batches. */
export interface ArrowScan extends StoredSession {
  /** Event rows read (the trailer has none). */
  readonly rows: number;
  /** The stream ended inside a message: a killed recording's last, partial batch (dropped). */
  readonly truncated: boolean;
}

/**
 * Reads an Arrow trace batch by batch (memory stays at one batch), handing each record batch with
 * events to `visit`. Tolerates a stream cut short by a kill: it stops at the last whole batch and
 * says `truncated`.
 */
export async function scanArrowTrace(path: string, visit: (batch: RecordBatch) => void = () => {}): Promise<ArrowScan> {
  if (!existsSync(path)) throw new TraceNotFoundError(path);
  let reader: RecordBatchReader;
  try {
    reader = await RecordBatchReader.from(createReadStream(path));
    await reader.open();
  } catch (error) {
    throw new TraceFormatError(path, 'not an Arrow IPC stream', error);
  }
  if (reader.schema === null || reader.schema === undefined) throw new TraceFormatError(path, 'not an Arrow IPC stream');
  const facts = sessionFromSchema(path, reader.schema);
  let rows = 0;
  let end: StoredSession['end'] = null;
  let truncated = false;
  try {
    for await (const batch of reader) {
      if (batch.numRows === 0 && batch.metadata.has(META.endReason)) {
        const m = batch.metadata;
        end = Object.freeze({
          endedAt: m.get(META.endedAt) ?? '', endReason: m.get(META.endReason) as EndReason,
          eventCount: Number(m.get(META.eventCount)), finalHash: m.get(META.finalHash) ?? '',
        });
        continue;
      }
      rows += batch.numRows;
      visit(batch);
    }
  } catch {
    truncated = true;
  } finally {
    await reader.cancel();
  }
  return { facts, end, rows, truncated };
}

/** The session facts an Arrow trace's schema metadata carries; refuses a newer trace schema. */
export function sessionFromSchema(path: string, schema: Schema): SessionFacts {
  const m = schema.metadata;
  const version = Number(m.get(META.schema));
  if (!m.has(META.schema) || !Number.isInteger(version)) throw new TraceFormatError(path, `its schema has no ${META.schema} metadata`);
  if (version > SCHEMA_VERSION) throw new TraceVersionError(path, version, SCHEMA_VERSION);
  return Object.freeze({
    id: m.get(META.sessionId) ?? '', scenario: m.get(META.scenario) ?? '', seed: Number(m.get(META.seed)), cpus: Number(m.get(META.cpus)),
    config: m.get(META.config) ?? '{}', toolVersion: m.get(META.toolVersion) ?? '', schemaVersion: version, startedAt: m.get(META.startedAt) ?? '',
  });
}

/** A whole Arrow trace in memory (tests, small traces). */
export async function readArrowTrace(path: string): Promise<ArrowScan & { readonly events: TraceEvent[] }> {
  const events: TraceEvent[] = [];
  const scan = await scanArrowTrace(path, (batch) => {
    for (const e of eventsOfBatch(batch)) events.push(e);
  });
  return { ...scan, events };
}

/** A record batch's events, read column by column (performance-notes §2.4: columns, not rows). */
export function eventsOfBatch(batch: RecordBatch): TraceEvent[] {
  const n = batch.numRows;
  const columns = cellReadersOfBatch(batch);
  const events: TraceEvent[] = new Array<TraceEvent>(n);
  const row: unknown[] = new Array<unknown>(columns.length);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < columns.length; c++) row[c] = columns[c]!(i);
    events[i] = eventFromRow(row);
  }
  return events;
}

/**
 * One reader per column of the events table, in EVENT_TABLE_COLUMNS order: `readers[c](i)` is row
 * i's value in column c (a number, a string or null), read straight from the batch's buffers. For
 * copying rows elsewhere (into SQLite) without building an event per row.
 */
export function cellReadersOfBatch(batch: RecordBatch): ((i: number) => unknown)[] {
  return EVENT_TABLE_COLUMNS.map((name) => {
    const vector = batch.getChild(name);
    if (vector === null) throw new Error(`record batch has no column ${name}`);
    return columnReader(vector);
  });
}

const TWO_32 = 4294967296;
const dictionaryStrings = new WeakMap<Vector, (string | null)[]>();

/** A reader of one column's value at a row: integers, dictionary strings or plain strings. */
function columnReader(vector: Vector): (i: number) => unknown {
  if (vector.data.length !== 1 || vector.data[0]!.offset !== 0) return (i) => plain(vector.get(i));
  const data = vector.data[0] as Data;
  const valid = validity(data);
  const values: unknown = data.values;
  if (values instanceof BigInt64Array) {
    const words = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
    return (i) => (valid(i) ? words[2 * i + 1]! * TWO_32 + (words[2 * i]! >>> 0) : null);
  }
  if (values instanceof Int32Array) return (i) => (valid(i) ? values[i]! : null);
  if (data.dictionary !== undefined) {
    const dictionary = data.dictionary;
    let strings = dictionaryStrings.get(dictionary);
    if (strings === undefined) {
      strings = Array.from(dictionary as Iterable<string | null>);
      dictionaryStrings.set(dictionary, strings);
    }
    const indices = values as Int16Array;
    const s = strings;
    return (i) => (valid(i) ? s[indices[i]!] : null);
  }
  if (data.valueOffsets instanceof Int32Array && values instanceof Uint8Array) {
    const offsets = data.valueOffsets;
    const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
    return (i) => (valid(i) ? bytes.toString('utf8', offsets[i]!, offsets[i + 1]!) : null);
  }
  return (i) => plain(vector.get(i));
}

function validity(data: Data): (i: number) => boolean {
  const bitmap = data.nullBitmap;
  if (data.nullCount === 0 || bitmap === undefined || bitmap.length === 0) return () => true;
  return (i) => ((bitmap[i >> 3]! >> (i & 7)) & 1) === 1;
}

function plain(v: unknown): unknown {
  return typeof v === 'bigint' ? Number(v) : v ?? null;
}
