import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/**
 * Whether a read-only connection failed on a trace that SQLite could read after recovering it,
 * which a read-only connection may not do in place:
 * - SQLITE_READONLY_ROLLBACK: a hot rollback journal, left by a recording killed while it switched
 *   the journal mode (WAL → DELETE as it finishes);
 * - SQLITE_CANTOPEN with a `-wal` beside the trace: a killed recording whose `-shm` is missing and
 *   cannot be created (a read-only directory, or the trace copied without it).
 */
export function needsRecoveredCopy(error: unknown, path: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_READONLY_ROLLBACK' || (code === 'SQLITE_CANTOPEN' && existsSync(`${path}-wal`));
}

/**
 * Reads such a trace without touching it: the file and its journal or WAL are copied into a
 * temporary directory, SQLite recovers the copy as it opens it read-write, and what it reads is
 * handed back as an in-memory database. The trace's own files stay exactly as the kill left them,
 * so a later read-write open (or `sqlite3`) still recovers them the usual way.
 */
export function openRecoveredCopy(path: string): Database.Database {
  const dir = mkdtempSync(join(tmpdir(), 'irptrace-rollback-'));
  try {
    const copy = join(dir, 'trace.sqlite');
    copyFileSync(path, copy);
    for (const suffix of ['-journal', '-wal']) {
      if (existsSync(path + suffix)) copyFileSync(path + suffix, copy + suffix);
    }
    const db = new Database(copy, { fileMustExist: true });
    let image: Buffer;
    try {
      image = db.serialize();
    } finally {
      db.close();
    }
    // An in-memory database cannot be in WAL mode (header bytes 18–19 = 2); the image holds every
    // page already, so mark it a rollback-journal database.
    image[18] = 1;
    image[19] = 1;
    return new Database(image, { readonly: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
