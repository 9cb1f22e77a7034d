import { existsSync, statSync } from 'node:fs';
import type { Data, Dictionary, Int16, Utf8 } from 'apache-arrow';
import { TraceFormatError, TraceNotFoundError } from './errors.js';
import { headFormat } from './file-head.js';
import { scanArrowTrace } from './read-arrow.js';
import { openSqliteTrace, readSqliteSession, type StoredSession } from './read-sqlite.js';
import type { TraceFormat } from './paths.js';

/** What `irptrace info` shows about a trace file. */
export interface TraceInfo extends StoredSession {
  readonly path: string;
  readonly format: TraceFormat;
  /** Events actually in the file (a killed recording has fewer than it emitted). */
  readonly events: number;
  /** Events by kind, in descending count. */
  readonly kinds: Readonly<Record<string, number>>;
  /** Arrow only: the file ends inside a batch (a kill while it was being written). */
  readonly truncated: boolean;
  /** The SessionEnded event's detail (JSON: the error, the bug check, the threads a stalled run left waiting), when there is one. */
  readonly endDetail: string | null;
}

/** Which format a file is in, from its first bytes. */
export function detectFormat(path: string): TraceFormat {
  if (!existsSync(path)) throw new TraceNotFoundError(path);
  if (statSync(path).isDirectory()) throw new TraceFormatError(path, 'it is a directory');
  let format: ReturnType<typeof headFormat>;
  try {
    format = headFormat(path);
  } catch (error) {
    throw new TraceFormatError(path, `it cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, error);
  }
  if (format === 'sqlite' || format === 'arrow') return format;
  throw new TraceFormatError(path, 'neither a SQLite database nor an Arrow IPC stream');
}

/** Session facts, end facts (null: unfinished), event count and counts by kind of a trace file. */
export async function readTraceInfo(path: string): Promise<TraceInfo> {
  const format = detectFormat(path);
  if (format === 'sqlite') {
    const db = openSqliteTrace(path);
    try {
      const session = readSqliteSession(db, path);
      const rows = db.prepare('SELECT kind, count(*) AS n FROM events GROUP BY kind').raw(true).all() as [string, number][];
      const endDetail = (db.prepare("SELECT detail FROM events WHERE kind = 'SessionEnded' ORDER BY seq DESC LIMIT 1").pluck().get() as string | null | undefined) ?? null;
      return info(path, format, session, rows, false, endDetail);
    } finally {
      db.close();
    }
  }
  const counts = new Map<string, number>();
  let endDetail: string | null = null;
  const scan = await scanArrowTrace(path, (batch) => {
    const data = batch.getChild('kind')?.data[0] as Data<Dictionary<Utf8, Int16>> | undefined;
    if (data === undefined) return;
    const last = batch.numRows - 1;
    if (last >= 0 && String(data.dictionary!.get(data.values[last]!)) === 'SessionEnded') endDetail = (batch.getChild('detail')?.get(last) as string | null | undefined) ?? null;
    const tally = new Map<number, number>();
    const indices = data.values;
    for (let i = 0; i < batch.numRows; i++) tally.set(indices[i]!, (tally.get(indices[i]!) ?? 0) + 1);
    for (const [index, n] of tally) {
      const kind = String(data.dictionary!.get(index));
      counts.set(kind, (counts.get(kind) ?? 0) + n);
    }
  });
  return info(path, format, scan, [...counts], scan.truncated, endDetail);
}

function info(path: string, format: TraceFormat, session: StoredSession, counts: readonly (readonly [string, number])[], truncated: boolean, endDetail: string | null): TraceInfo {
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return {
    path, format, facts: session.facts, end: session.end,
    events: sorted.reduce((sum, [, n]) => sum + n, 0),
    kinds: Object.fromEntries(sorted),
    truncated,
    endDetail,
  };
}
