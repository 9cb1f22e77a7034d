import { statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { reduce, type MachineState, type TraceEvent } from '../model/index.js';
import { EVENT_TABLE_COLUMNS, openSqliteTrace, readSqliteSession, type SessionEnd, type SessionFacts } from '../recorder/index.js';
import { ChainVerifier, type ChainPoint } from './chain.js';
import { TraceChainError, TraceCorruptError } from './errors.js';
import type { EventFilter } from './filter.js';
import { PageJob } from './sqlite-pages.js';
import type { TraceFile, TraceFingerprint } from './trace-file.js';

/** Rows per query when streaming: no statement stays open between blocks. */
const PAGE = 4096;

/** Pages a range must cover to be read ahead on the page thread (sqlite-pages.ts). */
const THREAD_PAGES = 8;

const COLUMNS = EVENT_TABLE_COLUMNS.join(', ');

/**
 * A SQLite trace (recorder/sqlite-sink.ts), read through better-sqlite3: ranges by the `seq`
 * primary key (`WHERE seq BETWEEN`), a page of rows as one JSON cell, one event object built per
 * row; `find` is one SQL query. SQLite's own failures on a damaged file
 * (SQLITE_CORRUPT, SQLITE_NOTADB) become TraceCorruptError.
 */
export class SqliteTraceFile implements TraceFile {
  readonly format = 'sqlite' as const;
  /** A SQLite trace reads whole or not at all (SQLite recovers or refuses it). */
  readonly truncatedAt = null;
  private readonly range: Database.Statement;
  private readonly rangeSql: string;
  /** Page reads handed to the page thread and not yet ended (a stream abandoned mid-way ends its own at close). */
  private readonly jobs = new Set<PageJob>();

  private constructor(
    readonly path: string,
    private readonly db: Database.Database,
    readonly facts: SessionFacts,
    readonly end: SessionEnd | null,
    readonly count: number,
    readonly fingerprint: TraceFingerprint,
  ) {
    // A page of rows as one JSON array of arrays, built by SQLite and parsed once: better-sqlite3
    // pays a few hundred ns per cell it hands over, so one cell per page reads about twice as fast
    // as 23 cells per row (bench/replay.ts).
    this.rangeSql = `SELECT json_group_array(json_array(${COLUMNS})) FROM (SELECT ${COLUMNS} FROM events WHERE seq BETWEEN ? AND ? ORDER BY seq)`;
    this.range = db.prepare(this.rangeSql).pluck();
  }

  static open(path: string): SqliteTraceFile {
    const db = openSqliteTrace(path);
    try {
      return guard(path, () => {
        const { facts, end } = readSqliteSession(db, path);
        const last = db.prepare('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1').raw(true).get() as [number, string] | undefined;
        const count = last === undefined ? 0 : last[0] + 1;
        const stat = statSync(path);
        return new SqliteTraceFile(path, db, facts, end, count, {
          format: 'sqlite', size: stat.size, mtimeMs: stat.mtimeMs, sessionId: facts.id, events: count, lastHash: last?.[1] ?? '',
        });
      });
    } catch (error) {
      db.close();
      throw error;
    }
  }

  read(from: number, to: number): TraceEvent[] {
    const lo = Math.max(0, from);
    const hi = Math.min(to, this.count - 1);
    if (lo > hi) return [];
    return this.parse(this.pageText(lo, hi));
  }

  *blocks(from = 0, to = this.count - 1, chain: ChainPoint | null = null): Generator<TraceEvent[]> {
    const hi = Math.min(to, this.count - 1);
    const verifier = chain === null ? null : new ChainVerifier(this.path, chain);
    const pages: number[] = [];
    for (let lo = Math.max(0, from); lo <= hi; lo += PAGE) pages.push(lo, Math.min(hi, lo + PAGE - 1));
    // A long range: SQLite builds the pages' text on the page thread while this one parses and folds.
    // Not for a trace recovered into memory (recorder/recovered-copy.ts): the thread would open the file.
    const job = pages.length / 2 >= THREAD_PAGES && !this.db.memory ? PageJob.start(this.path, this.rangeSql, pages) : null;
    if (job !== null) this.jobs.add(job);
    try {
      for (let k = 0; k < pages.length / 2; k++) {
        const lo = pages[2 * k]!;
        const top = pages[2 * k + 1]!;
        const events = job === null ? this.read(lo, top) : this.parse(job.take(k, () => this.pageText(lo, top)));
        if (verifier !== null) {
          for (let i = 0; i < events.length; i++) {
            try {
              verifier.check(events[i]!);
            } catch (error) {
              if (i > 0) yield events.slice(0, i);
              throw error;
            }
          }
          // A missing last row (a deleted row, a short table) breaks the chain too.
          if (events.length < top - lo + 1) throw new TraceChainError(this.path, lo + events.length, 'the event is missing');
        }
        yield events;
      }
    } finally {
      if (job !== null) {
        job.end();
        this.jobs.delete(job);
      }
    }
  }

  /** Rows `lo`…`hi` as one JSON text (an array of arrays, `events` table order). */
  private pageText(lo: number, hi: number): string {
    return guard(this.path, () => this.range.get(lo, hi) as string);
  }

  private parse(text: string): TraceEvent[] {
    const rows = JSON.parse(text) as unknown[][];
    const out = new Array<TraceEvent>(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = eventOf(rows[i]!);
    return out;
  }

  fold(state: MachineState, from: number, to: number, chain: ChainPoint | null, visit?: (e: TraceEvent) => void): ChainPoint | null {
    let point = chain;
    for (const events of this.blocks(from, to, chain)) {
      for (const e of events) {
        reduce(state, e);
        visit?.(e);
      }
      if (point !== null) point = { seq: events[events.length - 1]!.seq, hash: events[events.length - 1]!.hash, timeNs: events[events.length - 1]!.timeNs };
    }
    return point;
  }

  find(filter: EventFilter, from: number, to: number, direction: 1 | -1): number | null {
    const { where, params } = this.where(filter, from, to);
    const sql = `SELECT seq FROM events WHERE ${where} ORDER BY seq ${direction === 1 ? 'ASC' : 'DESC'} LIMIT 1`;
    const seq = guard(this.path, () => this.db.prepare(sql).pluck().get(...params) as number | undefined);
    return seq ?? null;
  }

  findAll(filter: EventFilter, from: number, to: number): number[] {
    const { where, params } = this.where(filter, from, to);
    return guard(this.path, () => this.db.prepare(`SELECT seq FROM events WHERE ${where} ORDER BY seq`).pluck().all(...params) as number[]);
  }

  private where(filter: EventFilter, from: number, to: number): { where: string; params: (string | number)[] } {
    const terms: string[] = ['seq BETWEEN ? AND ?'];
    const params: (string | number)[] = [Math.max(0, from), Math.min(to, this.count - 1)];
    for (const clause of filter.clauses) {
      // Column names come from the filter's fixed key table, never from the user's text.
      terms.push(`${clause.column} IN (${clause.values.map(() => '?').join(', ')})`);
      params.push(...clause.values);
    }
    return { where: terms.join(' AND '), params };
  }

  close(): void {
    for (const job of this.jobs) job.end();
    this.jobs.clear();
    this.db.close();
  }
}

/** A row in `events` table order as an event (unfrozen), its fields in the simulator's order. */
function eventOf(r: unknown[]): TraceEvent {
  return {
    seq: r[0], timeNs: r[1], cpu: r[2], irql: r[3], kind: r[4], activation: r[5], routine: r[6], driver: r[7], device: r[8],
    irp: r[9], master: r[10], major: r[11], loc: r[12], status: r[13], newIrql: r[14], dpc: r[15], lock: r[16], vector: r[17],
    result: r[18], api: r[19], detail: r[20], thread: r[21], hash: r[22],
  } as TraceEvent;
}

const DAMAGE = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CORRUPT_VTAB', 'SQLITE_IOERR_SHORT_READ']);

/** Runs a read, turning SQLite's complaints about a damaged file into TraceCorruptError. */
function guard<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && (DAMAGE.has(code) || code.startsWith('SQLITE_CORRUPT'))) {
      throw new TraceCorruptError(path, (error as Error).message, error);
    }
    if (typeof code === 'string' && code.startsWith('SQLITE_')) throw new TraceCorruptError(path, `${code}: ${(error as Error).message}`, error);
    throw error;
  }
}
