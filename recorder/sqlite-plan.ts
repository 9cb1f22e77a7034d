import { TABLE_LAYOUT, type ColumnSource } from './columnar.js';
import {
  END_SESSION_SQL, EVENT_TABLE_COLUMNS, INDEX_BUILD_PRAGMAS, INDEX_DDL, INSERT_EVENTS_PREFIX, INSERT_EVENTS_ROW, INSERT_SESSION_SQL, RECORDING_PRAGMAS, ROWS_PER_INSERT, createTraceSql, insertEventsSql,
} from './schema.sql.js';
import type { SessionEnd, SessionFacts } from './session.js';

/**
 * Everything a SQLite writer executes, as data: the in-thread SqliteSink and the writer thread
 * (sqlite-worker.mjs, plain JavaScript) run the same plan, so the SQL lives in one place.
 */
export interface SqlitePlan {
  readonly path: string;
  /** Where the trace is created before being renamed to `path` (see createTraceFile). */
  readonly initPath: string;
  /** Run when the initialised trace is opened for recording (journal mode first). */
  readonly pragmas: readonly string[];
  /** Creates the empty trace (at `initPath`); run in one transaction with the session row. */
  readonly create: readonly string[];
  readonly insertSession: { readonly sql: string; readonly params: readonly (string | number)[] };
  /** Rows per multi-row INSERT, and the statement for that many. */
  readonly rowsPerInsert: number;
  readonly insertSql: string;
  /** `INSERT INTO events VALUES ` and `(?,…)`: the writer thread builds shorter inserts from them. */
  readonly insertPrefix: string;
  readonly insertRow: string;
  /** Parameters per row: the `events` table's columns. */
  readonly columns: number;
  /** Where each table column comes from in a ColumnarBatch (for the writer thread). */
  readonly layout: readonly ColumnSource[];
  /** Run at the end, in one transaction with the session's end facts: the secondary indexes. */
  readonly indexes: readonly string[];
  /** Run on the writer's connection just before the indexes are built (INDEX_BUILD_PRAGMAS). */
  readonly indexPragmas: readonly string[];
  readonly endSessionSql: string;
  readonly sessionId: string;
}

export interface SqlitePlanOptions {
  /** Extra pragmas after the recording ones (tests: `max_page_count = 40` to fill the "disk"). */
  readonly pragmas?: readonly string[];
  readonly rowsPerInsert?: number;
}

export function sqlitePlan(path: string, session: SessionFacts, options: SqlitePlanOptions = {}): SqlitePlan {
  const rowsPerInsert = options.rowsPerInsert ?? ROWS_PER_INSERT;
  return Object.freeze({
    path,
    initPath: initPathOf(path),
    pragmas: [...RECORDING_PRAGMAS, ...(options.pragmas ?? [])],
    create: createTraceSql(),
    insertSession: {
      sql: INSERT_SESSION_SQL,
      params: [session.id, session.scenario, session.seed, session.cpus, session.config, session.toolVersion, session.schemaVersion, session.startedAt],
    },
    rowsPerInsert,
    insertSql: insertEventsSql(rowsPerInsert),
    insertPrefix: INSERT_EVENTS_PREFIX,
    insertRow: INSERT_EVENTS_ROW,
    columns: EVENT_TABLE_COLUMNS.length,
    layout: TABLE_LAYOUT,
    indexes: INDEX_DDL,
    indexPragmas: INDEX_BUILD_PRAGMAS,
    endSessionSql: END_SESSION_SQL,
    sessionId: session.id,
  });
}

/** The temporary name a trace file has until it is initialised. */
export function initPathOf(path: string): string {
  return `${path}.init`;
}

/** The parameters of END_SESSION_SQL. */
export function endSessionParams(plan: SqlitePlan, end: SessionEnd): readonly (string | number)[] {
  return [end.endedAt, end.endReason, end.eventCount, end.finalHash, plan.sessionId];
}
