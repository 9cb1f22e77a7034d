import { existsSync } from 'node:fs';
import { openSqliteTrace, readSqliteSession } from '../recorder/index.js';
import { ArrowTraceFile } from '../replayer/arrow-file.js';

/**
 * The SQLite file recorded beside an Arrow trace (`run.arrow` → `run.sqlite`) when it holds the
 * very same recording: the same session id, both finished, with the same event count and final
 * hash (the hash chain covers every event, so equal final hashes mean equal events). Querying it
 * instead of loading the Arrow file into memory saves that load (about 5 s per million events);
 * null when there is no such file, or it is any other.
 */
export function sqliteTwinOf(arrowPath: string): string | null {
  if (!arrowPath.endsWith('.arrow')) return null;
  const twin = `${arrowPath.slice(0, -'.arrow'.length)}.sqlite`;
  if (!existsSync(twin)) return null;
  try {
    const arrow = ArrowTraceFile.open(arrowPath);
    let arrowEnd;
    let arrowId: string;
    try {
      arrowEnd = arrow.end;
      arrowId = arrow.facts.id;
      if (arrow.truncatedAt !== null || arrowEnd === null || arrow.count !== arrowEnd.eventCount) return null;
    } finally {
      arrow.close();
    }
    const db = openSqliteTrace(twin);
    try {
      const { facts, end } = readSqliteSession(db, twin);
      const same = facts.id === arrowId && end !== null && end.eventCount === arrowEnd.eventCount && end.finalHash === arrowEnd.finalHash
        && end.endReason === arrowEnd.endReason;
      return same ? twin : null;
    } finally {
      db.close();
    }
  } catch {
    // Either file unreadable as a trace: load the Arrow file itself, which reports what is wrong.
    return null;
  }
}
