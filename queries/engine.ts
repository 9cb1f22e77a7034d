import Database from 'better-sqlite3';
import {
  APPLICATION_ID, EVENTS_DDL, INDEX_BUILD_PRAGMAS, INDEX_DDL, SCHEMA_VERSION, SESSIONS_DDL, cellReadersOfBatch, detectFormat, openSqliteTrace, scanArrowTrace,
  TraceFormatError, type TraceFormat,
} from '../recorder/index.js';
import { sqliteTwinOf } from './sqlite-twin.js';
import { insertEventsSql } from '../recorder/schema.sql.js';
import type { RecordBatch } from 'apache-arrow';
import { createViews, type ViewName } from './views.js';

/** A statement refused or failed: SQLite's message, and where in the SQL when that is known. */
export class QueryError extends Error {
  constructor(message: string, readonly sql: string, readonly position: number | null = null, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QueryError';
  }

  /** Where in the statement, 1-based, when known. */
  location(): { readonly line: number; readonly column: number } | null {
    if (this.position === null) return null;
    const before = this.sql.slice(0, this.position);
    return { line: before.split('\n').length, column: this.position - (before.lastIndexOf('\n') + 1) + 1 };
  }

  /** The message, then the statement with a caret under the position (when known). */
  describe(): string {
    const at = this.location();
    if (at === null) return this.message;
    const lineStart = this.position! - (at.column - 1);
    const lineEnd = this.sql.indexOf('\n', this.position!);
    const line = this.sql.slice(lineStart, lineEnd === -1 ? undefined : lineEnd);
    const where = this.sql.includes('\n') ? ` (line ${at.line}, column ${at.column})` : '';
    return `${this.message}${where}\n  ${line.replace(/\t/g, ' ')}\n  ${' '.repeat(at.column - 1)}^`;
  }
}

/** What a statement returned: column names and rows as arrays. */
export interface QueryResult {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
}

export interface OpenOptions {
  /** Views to build as indexed TEMP tables rather than plain views (the rule pack's choice). */
  readonly materialize?: readonly ViewName[];
  /**
   * Called once the database is open, before the views are built, with whether it is a SQLite file
   * with its indexes (`file`: the trace, or an Arrow trace's SQLite twin), which another connection
   * can open too, rather than an in-memory database (an Arrow trace loaded, or a killed recording
   * copied to add indexes). Returns the
   * views to materialize, instead of `materialize`. The rule pack starts its second thread here.
   */
  readonly beforeViews?: (opened: { readonly fileBacked: boolean; readonly file: string }) => readonly ViewName[];
}

/**
 * A trace opened for querying: SQLite traces on a read-only connection, Arrow traces loaded into an
 * in-memory database with the same schema; the views of queries/views in the TEMP schema; then
 * `PRAGMA query_only`, so nothing can be written, not even TEMP objects.
 */
export class TraceQuery {
  private constructor(
    readonly db: Database.Database, readonly path: string, readonly format: TraceFormat,
    /** The file read: the trace itself, or the SQLite twin of an Arrow trace (sqlite-twin.ts). */
    readonly source: string,
  ) {}

  static async open(path: string, options: OpenOptions = {}): Promise<TraceQuery> {
    const format = detectFormat(path);
    const source = format === 'sqlite' ? path : sqliteTwinOf(path) ?? path;
    // An Arrow trace is loaded into memory, unless its SQLite twin holds the same recording.
    const db = format === 'arrow' && source === path ? await loadArrow(path) : withIndexes(openReadOnly(source));
    try {
      // Reading only: map the file instead of copying pages, keep a large page cache, and keep the
      // TEMP schema (views materialized for the rule pack) in memory.
      for (const pragma of READING_PRAGMAS) db.pragma(pragma);
      db.function('irptrace_hex', { deterministic: true }, (value: unknown) =>
        typeof value === 'number' ? `0x${value.toString(16).toUpperCase().padStart(8, '0')}` : null);
      const materialize = options.beforeViews !== undefined ? options.beforeViews({ fileBacked: !db.memory, file: source }) : options.materialize;
      createViews(db, materialize !== undefined ? { materialize } : {});
      db.pragma('query_only = ON');
      return new TraceQuery(db, path, format, source);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Prepares a statement that may only read; refuses anything else with a QueryError. */
  prepare(sql: string): Database.Statement {
    const refusal = refuse(sql);
    if (refusal !== null) throw new QueryError(refusal, sql, firstTokenAt(sql));
    let stmt: Database.Statement;
    try {
      stmt = this.db.prepare(sql);
    } catch (error) {
      // better-sqlite3's own wording for these is about its API ("the supplied SQL string").
      const message = error instanceof Error ? error.message : '';
      if (message.includes('contains no statements')) throw new QueryError('no SQL statement given', sql, null, { cause: error });
      if (message.includes('more than one statement')) throw new QueryError('one statement at a time: this SQL holds more than one (split it at the ";")', sql, null, { cause: error });
      throw sqliteError(error, sql);
    }
    if (!stmt.readonly) throw new QueryError('refused: this statement would write; a trace is opened read-only', sql, firstTokenAt(sql));
    return stmt;
  }

  /** Runs a read-only statement and returns all its rows. */
  query(sql: string, params: readonly unknown[] = [], options: { readonly exactIntegers?: boolean } = {}): QueryResult {
    const stmt = this.prepare(sql);
    if (!stmt.reader) return { columns: [], rows: [] };
    try {
      const columns = stmt.columns().map((c) => c.name);
      // exactIntegers: every integer as a BigInt, so that one past 2^53 is shown as SQLite has it
      // (the formats print them; the rule pack wants plain numbers).
      const rows = stmt.raw(true).safeIntegers(options.exactIntegers === true).all(...params) as unknown[][];
      return { columns, rows };
    } catch (error) {
      throw sqliteError(error, sql);
    }
  }

  close(): void {
    this.db.close();
  }
}

/** The pragmas of a reading connection: map the file, a large page cache, TEMP in memory (queries/check-worker.mjs gets these). */
export const READING_PRAGMAS: readonly string[] = Object.freeze(['mmap_size = 4294967296', 'cache_size = -262144', 'temp_store = MEMORY']);

/** Opens a SQLite trace read-only (the recorder's reader checks it is one irptrace wrote, in a version it reads). */
function openReadOnly(path: string): Database.Database {
  const db = openSqliteTrace(path);
  try {
    db.prepare('SELECT 1 FROM events LIMIT 1').get();
    return db;
  } catch (error) {
    db.close();
    throw new TraceFormatError(path, 'not a readable SQLite trace', error);
  }
}

/**
 * A trace left by a killed recording has no secondary indexes, and a read-only connection cannot add
 * them: such a trace is copied into memory and indexed there (the file stays untouched).
 */
function withIndexes(db: Database.Database): Database.Database {
  const present = new Set((db.pragma('index_list(events)') as { name: string }[]).map((i) => i.name));
  const missing = INDEX_DDL.filter((sql) => !present.has(/INDEX IF NOT EXISTS (\w+)/.exec(sql)?.[1] ?? ''));
  if (missing.length === 0) return db;
  const image = db.serialize();
  db.close();
  // A killed recording is still in WAL mode (header bytes 18–19 = 2), which an in-memory database
  // cannot be: "unable to open database file". The image already holds the WAL's pages (serialize
  // reads through the pager), so mark it a rollback-journal database.
  image[18] = 1;
  image[19] = 1;
  const copy = new Database(image);
  for (const p of INDEX_BUILD_PRAGMAS) copy.pragma(p);
  for (const sql of missing) copy.exec(sql);
  return copy;
}

const ROWS_PER_INSERT = 32;

/** Loads an Arrow trace into an in-memory SQLite database with the trace schema and indexes. */
async function loadArrow(path: string): Promise<Database.Database> {
  const db = new Database(':memory:');
  try {
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
    db.exec(EVENTS_DDL);
    db.exec(SESSIONS_DDL);
    const many = db.prepare(insertEventsSql(ROWS_PER_INSERT));
    const args: unknown[] = [];
    // Cells go from the batch's buffers straight into the statement's arguments: no event per row.
    const insert = db.transaction((batch: RecordBatch) => {
      const cells = cellReadersOfBatch(batch);
      const rows = batch.numRows;
      const pushRows = (from: number, to: number): void => {
        args.length = 0;
        for (let i = from; i < to; i++) for (let c = 0; c < cells.length; c++) args.push(cells[c]!(i));
      };
      let i = 0;
      for (; i + ROWS_PER_INSERT <= rows; i += ROWS_PER_INSERT) {
        pushRows(i, i + ROWS_PER_INSERT);
        many.run(...args);
      }
      if (i < rows) {
        pushRows(i, rows);
        db.prepare(insertEventsSql(rows - i)).run(...args);
      }
    });
    const scan = await scanArrowTrace(path, insert);
    const f = scan.facts;
    db.prepare(`INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
      f.id, f.scenario, f.seed, f.cpus, f.config, f.toolVersion, f.schemaVersion, f.startedAt,
      scan.end?.endedAt ?? null, scan.end?.endReason ?? null, scan.end?.eventCount ?? null, scan.end?.finalHash ?? null);
    for (const p of INDEX_BUILD_PRAGMAS) db.pragma(p);
    for (const sql of INDEX_DDL) db.exec(sql);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

// ---- read-only enforcement ---------------------------------------------------------------------

/** PRAGMAs that only read (and only in their query form: no `=`, no argument that sets). */
const READ_PRAGMAS = new Set([
  'application_id', 'user_version', 'schema_version', 'query_only', 'data_version', 'page_count', 'page_size', 'freelist_count', 'encoding',
  'table_info', 'table_xinfo', 'table_list', 'index_list', 'index_info', 'index_xinfo', 'foreign_key_list',
  'database_list', 'collation_list', 'function_list', 'module_list', 'pragma_list', 'compile_options', 'integrity_check', 'quick_check',
]);
/** Pragmas whose argument in parentheses is an object name, not a new value. */
const PRAGMAS_WITH_NAME_ARGUMENT = new Set(['table_info', 'table_xinfo', 'index_list', 'index_info', 'index_xinfo', 'foreign_key_list', 'integrity_check', 'quick_check', 'table_list']);

/** Keywords that change the connection or the files even when SQLite calls the statement read-only. */
const REFUSED_KEYWORDS = new Set(['ATTACH', 'DETACH', 'BEGIN', 'COMMIT', 'END', 'ROLLBACK', 'SAVEPOINT', 'RELEASE', 'VACUUM', 'ANALYZE', 'REINDEX']);

/** Why a statement is refused before it is prepared, or null. */
function refuse(sql: string): string | null {
  const tokens = leadingWords(sql, 3);
  const first = tokens[0]?.toUpperCase();
  if (first === undefined) return null;
  if (REFUSED_KEYWORDS.has(first)) return `refused: ${first} is not allowed; a trace is opened read-only`;
  if (first === 'PRAGMA') {
    const body = stripLeading(sql).slice('PRAGMA'.length).trim();
    const match = /^(?:\w+\s*\.\s*)?(\w+)\s*(.*)$/s.exec(body);
    const name = match?.[1]?.toLowerCase() ?? '';
    const rest = (match?.[2] ?? '').trim().replace(/;$/, '').trim();
    const setsValue = rest.startsWith('=') || (rest.startsWith('(') && !PRAGMAS_WITH_NAME_ARGUMENT.has(name));
    if (!READ_PRAGMAS.has(name) || setsValue) return `refused: PRAGMA ${name} is not one of the read-only pragmas a query may use`;
  }
  return null;
}

/** The SQL with leading whitespace and comments removed. */
function stripLeading(sql: string): string {
  let s = sql;
  for (;;) {
    const t = s.replace(/^\s+/, '');
    if (t.startsWith('--')) s = t.slice(t.indexOf('\n') === -1 ? t.length : t.indexOf('\n'));
    else if (t.startsWith('/*')) s = t.slice(t.indexOf('*/') === -1 ? t.length : t.indexOf('*/') + 2);
    else return t;
  }
}

function leadingWords(sql: string, n: number): string[] {
  return (stripLeading(sql).match(/[A-Za-z_]+/g) ?? []).slice(0, n);
}

function firstTokenAt(sql: string): number | null {
  const rest = stripLeading(sql);
  return rest === '' ? null : sql.length - rest.length;
}

/**
 * A SQLite error as a QueryError, with the position of the token it names when it can be found:
 * `near "X": syntax error`, `no such column: X`, `no such table: X`, `no such function: X`, …
 * (better-sqlite3 does not expose sqlite3_error_offset).
 */
export function sqliteError(error: unknown, sql: string): QueryError {
  const message = error instanceof Error ? error.message : String(error);
  return new QueryError(message, sql, positionOf(message, sql), { cause: error });
}

function positionOf(message: string, sql: string): number | null {
  if (/incomplete input/.test(message)) return sql.trimEnd().length;
  const near = /near "((?:[^"]|"")*)"/.exec(message);
  const named = /(?:no such (?:column|table|function|view|module|collation)|ambiguous column name|unrecognized token|misuse of aggregate(?: function)?|wrong number of arguments to function):\s*"?([^"]+?)"?\s*(?:$|\()/.exec(message);
  const token = near?.[1]?.replace(/""/g, '"') ?? named?.[1]?.replace(/\(\)$/, '');
  if (token === undefined || token === '') return null;
  return findToken(sql, token);
}

/** The first occurrence of `token` outside string literals and comments, as a whole word when it is one. */
function findToken(sql: string, token: string): number | null {
  const lower = sql.toLowerCase();
  const wanted = token.toLowerCase();
  const wordy = /^\w/.test(token) && /\w$/.test(token);
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'") {
      const end = sql.indexOf("'", i + 1);
      if (token.startsWith("'") && lower.startsWith(wanted, i)) return i;
      i = end === -1 ? sql.length : end + 1;
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end;
      continue;
    }
    if (lower.startsWith(wanted, i)) {
      const before = i === 0 ? '' : sql[i - 1]!;
      const after = sql[i + token.length] ?? '';
      if (!wordy || (!/\w/.test(before) && !/\w/.test(after))) return i;
    }
    i++;
  }
  // A qualified name (`e.nosuch`) is reported unqualified, and the reverse.
  const dot = token.lastIndexOf('.');
  return dot > 0 ? findToken(sql, token.slice(dot + 1)) : null;
}
