import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { EndReason, TraceEvent } from '../model/index.js';
import { needsRecoveredCopy, openRecoveredCopy } from './recovered-copy.js';
import { TraceDamagedError, TraceFormatError, TraceNotFoundError, TraceVersionError } from './errors.js';
import { eventFromRow } from './event-object.js';
import { APPLICATION_ID, EVENT_TABLE_COLUMNS, SCHEMA_VERSION } from './schema.sql.js';
import type { SessionEnd, SessionFacts } from './session.js';

/** A trace's session as stored: the facts, and the end facts unless the recording did not finish. */
export interface StoredSession {
  readonly facts: SessionFacts;
  /** null: the recording did not finish (killed, or still running). */
  readonly end: SessionEnd | null;
}

/**
 * Opens a SQLite trace read-only and checks it is one this irptrace can read. A trace left by a
 * killed recording (with its `-wal` and `-shm` files) reads whole, WAL included, and stays
 * untouched: a read-write connection would fold the WAL into the file when it closes. One that a
 * read-only connection cannot recover (a hot rollback journal; a WAL without its `-shm` in a
 * read-only directory) is recovered in a copy and read from memory (recovered-copy.ts).
 */
export function openSqliteTrace(path: string): Database.Database {
  if (!existsSync(path)) throw new TraceNotFoundError(path);
  try {
    try {
      return checkedTrace(new Database(path, { readonly: true, fileMustExist: true }), path);
    } catch (error) {
      if (!needsRecoveredCopy(error, path)) throw error;
      return checkedTrace(openRecoveredCopy(path), path);
    }
  } catch (error) {
    if (error instanceof TraceFormatError || error instanceof TraceVersionError) throw error;
    // SQLite's own header there but no reading: a cut or damaged file, not a foreign one.
    if (hasSqliteHeader(path)) throw new TraceDamagedError(path, error);
    throw new TraceFormatError(path, 'not a SQLite database', error);
  }
}

/** The connection, once its trace is one this irptrace reads (closed if not). */
function checkedTrace(db: Database.Database, path: string): Database.Database {
  try {
    const applicationId = db.pragma('application_id', { simple: true }) as number;
    const version = db.pragma('user_version', { simple: true }) as number;
    if (applicationId !== APPLICATION_ID) throw new TraceFormatError(path, 'it is a SQLite database, but not one irptrace wrote');
    if (version > SCHEMA_VERSION) throw new TraceVersionError(path, version, SCHEMA_VERSION);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

const SQLITE_MAGIC = 'SQLite format 3\0';

function hasSqliteHeader(path: string): boolean {
  try {
    const fd = openSync(path, 'r');
    try {
      const header = Buffer.alloc(SQLITE_MAGIC.length);
      return readSync(fd, header, 0, header.length, 0) === header.length && header.toString('latin1') === SQLITE_MAGIC;
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** The session row. */
export function readSqliteSession(db: Database.Database, path = db.name): StoredSession {
  const row = db.prepare('SELECT * FROM sessions LIMIT 1').get() as SessionRow | undefined;
  if (row === undefined) throw new TraceFormatError(path, 'it has no session row');
  const facts: SessionFacts = Object.freeze({
    id: row.id, scenario: row.scenario, seed: row.seed, cpus: row.cpus, config: row.config,
    toolVersion: row.tool_version, schemaVersion: row.schema_version, startedAt: row.started_at,
  });
  const end: SessionEnd | null = row.end_reason === null ? null : Object.freeze({
    endedAt: row.ended_at ?? '', endReason: row.end_reason as EndReason, eventCount: row.event_count ?? 0, finalHash: row.final_hash ?? '',
  });
  return { facts, end };
}

interface SessionRow {
  id: string; scenario: string; seed: number; cpus: number; config: string; tool_version: string; schema_version: number;
  started_at: string; ended_at: string | null; end_reason: string | null; event_count: number | null; final_hash: string | null;
}

/** Every event, in `seq` order, streamed (rows as arrays: the fast read path). */
export function* iterateSqliteEvents(db: Database.Database): Generator<TraceEvent> {
  const stmt = db.prepare(`SELECT ${EVENT_TABLE_COLUMNS.join(', ')} FROM events ORDER BY seq`).raw(true);
  for (const row of stmt.iterate() as IterableIterator<unknown[]>) yield eventFromRow(row);
}

/** A whole SQLite trace in memory (tests, small traces). */
export function readSqliteTrace(path: string): StoredSession & { readonly events: TraceEvent[] } {
  const db = openSqliteTrace(path);
  try {
    return { ...readSqliteSession(db, path), events: [...iterateSqliteEvents(db)] };
  } finally {
    db.close();
  }
}
