import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/**
 * SQLite's code for a database whose hot rollback journal a read-only connection cannot roll back:
 * a recording killed while it switched the journal mode (WAL → DELETE as it finishes) leaves one.
 */
export function isHotJournalError(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'SQLITE_READONLY_ROLLBACK';
}

/**
 * Reads a trace whose rollback journal is hot without touching it: the file and its journal (and
 * WAL, if any) are copied aside, SQLite rolls the copy back as it opens it read-write, and what it
 * reads is handed back as an in-memory database. The trace's own files stay exactly as the kill
 * left them, so a later read-write open (or `sqlite3`) still recovers them the usual way.
 */
export function openRolledBack(path: string): Database.Database {
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
