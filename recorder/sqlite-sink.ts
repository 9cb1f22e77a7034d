import { renameSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { TraceEvent } from '../model/index.js';
import { writeFailure } from './errors.js';
import { EVENT_TABLE_COLUMNS, insertEventsSql } from './schema.sql.js';
import type { SessionEnd, SessionFacts } from './session.js';
import type { EventBatch, TraceSink } from './sink.js';
import { endSessionParams, sqlitePlan, type SqlitePlan, type SqlitePlanOptions } from './sqlite-plan.js';

type Statement = Database.Statement<unknown[]>;

/**
 * Writes a trace to SQLite on the calling thread: one transaction per batch, multi-row INSERTs
 * bound positionally from one reused parameter array (performance-notes §1.3). The array is
 * spread into `run(...args)`: better-sqlite3 reads call arguments much faster than the elements of
 * an array argument (about 1.4× more rows per CPU-second here, with 23 columns). Each `append`
 * commits, so after a kill at most the batch being appended is missing.
 */
export class SqliteSink implements TraceSink {
  private readonly args: unknown[];
  private readonly insertMany: Statement;
  /** Statements for the last rows of a batch (fewer than rowsPerInsert), by row count. */
  private readonly tails = new Map<number, Statement>();
  private readonly writeBatch: (events: readonly TraceEvent[]) => void;
  private closed = false;

  /** Creates the trace file (which must not exist) with its tables and session row. */
  static open(path: string, session: SessionFacts, options: SqlitePlanOptions = {}): SqliteSink {
    const plan = sqlitePlan(path, session, options);
    let db: Database.Database | undefined;
    try {
      createTraceFile(plan);
      db = new Database(path, { fileMustExist: true });
      for (const p of plan.pragmas) db.pragma(p);
      return new SqliteSink(plan, db);
    } catch (error) {
      db?.close();
      rmSync(plan.initPath, { force: true });
      throw writeFailure(path, error, true);
    }
  }

  private constructor(private readonly plan: SqlitePlan, private readonly db: Database.Database) {
    this.args = new Array<unknown>(plan.rowsPerInsert * plan.columns);
    this.insertMany = db.prepare(plan.insertSql);
    this.writeBatch = db.transaction((events: readonly TraceEvent[]) => this.insert(events));
  }

  get path(): string {
    return this.plan.path;
  }

  append(batch: EventBatch): void {
    try {
      this.writeBatch(batch.events);
    } catch (error) {
      throw writeFailure(this.path, error);
    }
  }

  flush(): void {
    // Every append is its own committed transaction.
  }

  finish(end: SessionEnd): void {
    try {
      finishTrace(this.db, this.plan, end);
      this.closed = true;
      this.db.close();
    } catch (error) {
      throw writeFailure(this.path, error);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.db.close();
    } catch {
      // Closing after a failed write: nothing more to save.
    }
  }

  private insert(events: readonly TraceEvent[]): void {
    const per = this.plan.rowsPerInsert;
    const args = this.args;
    const n = events.length;
    let i = 0;
    for (; i + per <= n; i += per) {
      for (let j = 0, k = 0; j < per; j++, k += 23) fillRow(args, k, events[i + j]!);
      this.insertMany.run(...args);
    }
    const rest = n - i;
    if (rest > 0) {
      let tail = this.tails.get(rest);
      if (tail === undefined) {
        tail = this.db.prepare(insertEventsSql(rest));
        this.tails.set(rest, tail);
      }
      const tailArgs = new Array<unknown>(rest * 23);
      for (let j = 0, k = 0; j < rest; j++, k += 23) fillRow(tailArgs, k, events[i + j]!);
      tail.run(...tailArgs);
    }
  }
}

/** The 23 columns of the `events` table (EVENT_COLUMNS order, then hash), written at `k`. */
function fillRow(args: unknown[], k: number, e: TraceEvent): void {
  args[k] = e.seq; args[k + 1] = e.timeNs; args[k + 2] = e.cpu; args[k + 3] = e.irql; args[k + 4] = e.kind;
  args[k + 5] = e.activation; args[k + 6] = e.routine; args[k + 7] = e.driver; args[k + 8] = e.device;
  args[k + 9] = e.irp; args[k + 10] = e.master; args[k + 11] = e.major; args[k + 12] = e.loc; args[k + 13] = e.status;
  args[k + 14] = e.newIrql; args[k + 15] = e.dpc; args[k + 16] = e.lock; args[k + 17] = e.vector; args[k + 18] = e.result;
  args[k + 19] = e.api; args[k + 20] = e.detail; args[k + 21] = e.thread; args[k + 22] = e.hash;
}

if (EVENT_TABLE_COLUMNS.length !== 23) {
  throw new Error('recorder/sqlite-sink.ts: fillRow is out of date with the events table');
}

/**
 * Creates the trace with its tables, version and session row under a temporary name, then renames
 * it into place: a kill at any moment leaves either no trace or one with its session row, never a
 * file that is not yet a trace. (sqlite-worker.mjs does the same.) It is created in WAL mode: the
 * switch to WAL rewrites the header through a rollback journal, and a kill during that switch at the
 * trace's own name would leave a hot journal, which read-only readers can only recover in a copy
 * (recovered-copy.ts).
 */
export function createTraceFile(plan: SqlitePlan): void {
  rmSync(plan.initPath, { force: true });
  const db = new Database(plan.initPath);
  try {
    db.pragma('journal_mode = WAL');
    db.transaction(() => {
      for (const sql of plan.create) db.exec(sql);
      db.prepare(plan.insertSession.sql).run(...plan.insertSession.params);
    })();
  } finally {
    db.close();
  }
  renameSync(plan.initPath, plan.path);
}

/**
 * Completes a trace: the indexes and the session's end facts in one transaction (so a trace is
 * either complete with its indexes or marked unfinished), then folds the WAL back into the file and
 * leaves it in rollback-journal mode, a single self-contained file.
 */
export function finishTrace(db: Database.Database, plan: SqlitePlan, end: SessionEnd): void {
  for (const p of plan.indexPragmas) db.pragma(p);
  db.transaction(() => {
    for (const sql of plan.indexes) db.exec(sql);
    db.prepare(plan.endSessionSql).run(...endSessionParams(plan, end));
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('journal_mode = DELETE');
}
