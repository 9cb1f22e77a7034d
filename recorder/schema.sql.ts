import { EVENT_COLUMNS } from '../model/index.js';

/**
 * Version of the trace layout (SQLite `PRAGMA user_version`, Arrow metadata `irptrace.schema`).
 * Bump it whenever a table, column or Arrow field changes; readers refuse newer versions. The
 * index set (INDEX_DDL) is not part of it: no reader depends on an index for what it reads, and
 * the query engine builds missing ones.
 */
export const SCHEMA_VERSION = 1;

/** `PRAGMA application_id` of an irptrace SQLite trace: 'IRPT' in ASCII, so `file(1)` and readers can tell it apart. */
export const APPLICATION_ID = 0x49525054;

/** Columns never NULL: the envelope every event has. */
const NOT_NULL = new Set(['time_ns', 'kind']);

/** Every column of the `events` table, in order: EVENT_COLUMNS, then `hash`. */
export const EVENT_TABLE_COLUMNS: readonly string[] = Object.freeze([...EVENT_COLUMNS.map((c) => c.name), 'hash']);

/**
 * The `events` table: the contract's columns in EVENT_COLUMNS order plus `hash`. STRICT, so a
 * REAL or a BLOB can never drift into a column (about 15% on inserts; performance-notes §1.2).
 * `seq INTEGER PRIMARY KEY` is the rowid: appends in `seq` order are B-tree appends.
 */
export const EVENTS_DDL = `CREATE TABLE events (\n${[
  ...EVENT_COLUMNS.map((c) => `  ${c.name} ${c.type}${c.name === 'seq' ? ' PRIMARY KEY' : NOT_NULL.has(c.name) ? ' NOT NULL' : ''}`),
  '  hash TEXT NOT NULL',
].join(',\n')}\n) STRICT`;

/**
 * One row per recorded run. `end_reason`, `ended_at`, `event_count` and `final_hash` stay NULL
 * until the recorder has written the last event: a NULL `end_reason` means the run did not finish
 * (killed, or still being recorded).
 */
export const SESSIONS_DDL = `CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  scenario TEXT NOT NULL,
  seed INTEGER NOT NULL,
  cpus INTEGER NOT NULL,
  config TEXT NOT NULL,
  tool_version TEXT NOT NULL,
  schema_version INTEGER NOT NULL,
  started_at TEXT NOT NULL,
  ended_at TEXT,
  end_reason TEXT,
  event_count INTEGER,
  final_hash TEXT
) STRICT`;

/**
 * Secondary indexes for the queries: by IRP, by kind, by routine activation. Created when the
 * recording ends, so they never slow the bulk write; a killed recording has none, and the query
 * engine adds them on first use (in memory: the file stays untouched).
 *
 * Kept to the ones that pay (measured on a 1M-event demo trace, bench/recorder.ts and the rule
 * pack): without `events_irp` or `events_activation` the views' correlated lookups scan the table
 * per row (the pack does not finish in minutes); without `events_kind` the pack takes 2.2× as long
 * (rules filter events by kind). `irp` and `activation` are NULL in about 40% of events and no
 * query looks those rows up through them, so both indexes are partial: half the build time. An
 * index on `(cpu, seq)` gained nothing measurable (a processor's events are every other one) and
 * cost 20% of the build: dropped.
 */
export const INDEX_DDL: readonly string[] = Object.freeze([
  'CREATE INDEX IF NOT EXISTS events_irp ON events (irp) WHERE irp IS NOT NULL',
  'CREATE INDEX IF NOT EXISTS events_kind ON events (kind)',
  'CREATE INDEX IF NOT EXISTS events_activation ON events (activation) WHERE activation IS NOT NULL',
]);

/**
 * Set just before the indexes are built: SQLite's sorter then spills sorted runs of about 2 MB and
 * sorts them on two helper threads while it reads the table, instead of sorting 16 MB runs on the
 * writer's own thread. Measured on a 1M-event demo trace (2 cores): 1.45 s instead of 1.8–2.0 s
 * for the three indexes; more threads or smaller runs gain nothing more.
 */
export const INDEX_BUILD_PRAGMAS: readonly string[] = Object.freeze([
  'cache_size = -2000',
  'threads = 2',
]);

/** Pragmas of a trace being recorded: WAL with synchronous=NORMAL survives a process kill. */
export const RECORDING_PRAGMAS: readonly string[] = Object.freeze([
  'journal_mode = WAL',
  'synchronous = NORMAL',
]);

/**
 * Rows per INSERT statement: multi-row VALUES is 1.4–1.8× faster than one row per call; beyond
 * 16–32 rows (368–736 parameters) it gains nothing more.
 */
export const ROWS_PER_INSERT = 32;

/** The two halves of a multi-row insert: `INSERT INTO events VALUES ` and one row's `(?,…)`. */
export const INSERT_EVENTS_PREFIX = 'INSERT INTO events VALUES ';
export const INSERT_EVENTS_ROW = `(${EVENT_TABLE_COLUMNS.map(() => '?').join(',')})`;

/** `INSERT INTO events VALUES (?,…),(?,…)…` for `rows` rows. */
export function insertEventsSql(rows: number): string {
  return INSERT_EVENTS_PREFIX + Array.from({ length: rows }, () => INSERT_EVENTS_ROW).join(',');
}

export const INSERT_SESSION_SQL =
  'INSERT INTO sessions (id, scenario, seed, cpus, config, tool_version, schema_version, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)';

export const END_SESSION_SQL =
  'UPDATE sessions SET ended_at = ?, end_reason = ?, event_count = ?, final_hash = ? WHERE id = ?';

/** Statements that create an empty trace, in order. */
export function createTraceSql(): readonly string[] {
  return [`PRAGMA application_id = ${APPLICATION_ID}`, `PRAGMA user_version = ${SCHEMA_VERSION}`, EVENTS_DDL, SESSIONS_DDL];
}
