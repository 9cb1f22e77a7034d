import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { TraceExistsError, TraceUnwritableError } from './errors.js';
import { headFormat } from './file-head.js';

/** The file formats a run can be recorded in. */
export type TraceFormat = 'sqlite' | 'arrow';

export const TRACE_FORMATS: readonly TraceFormat[] = Object.freeze(['sqlite', 'arrow']);

/** The files of one recording, by format. */
export interface TracePaths {
  readonly sqlite?: string;
  readonly arrow?: string;
}

/** Files SQLite may keep next to a database. */
const SQLITE_SIDECARS = ['-wal', '-shm', '-journal'];

/**
 * `<prefix>.sqlite` and `<prefix>.arrow` for the formats asked for. A prefix that already ends
 * in `.sqlite` or `.arrow` loses that extension (`--out run.sqlite` writes run.sqlite, run.arrow).
 */
export function tracePaths(prefix: string, formats: readonly TraceFormat[] = TRACE_FORMATS): TracePaths {
  const base = prefix.replace(/\.(sqlite|arrow)$/, '');
  return {
    ...(formats.includes('sqlite') ? { sqlite: `${base}.sqlite` } : {}),
    ...(formats.includes('arrow') ? { arrow: `${base}.arrow` } : {}),
  };
}

/** Where a run goes without `--out`: `traces/<scenario>-seed<seed>`. */
export function defaultTracePrefix(scenario: string, seed: number, dir = 'traces'): string {
  const name = scenario.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+/, '') || 'scenario';
  return join(dir, `${name}-seed${seed}`);
}

/**
 * Every file a recording may leave behind: SQLite's WAL and shared-memory files, and the files a
 * trace has under a temporary name (`.init`) until it is initialised.
 */
export function traceFiles(paths: TracePaths): string[] {
  const files: string[] = [];
  for (const path of [paths.sqlite, paths.arrow]) {
    if (path === undefined) continue;
    files.push(path, `${path}.init`);
    if (path === paths.sqlite) for (const s of SQLITE_SIDECARS) files.push(path + s, `${path}.init${s}`);
  }
  return files;
}

/**
 * Makes room for a recording: refuses an existing trace unless `force` (then deletes it), deletes
 * stray SQLite sidecars (a stale WAL must never be replayed into a new database), and creates the
 * directory.
 */
export function prepareOutput(paths: TracePaths, force: boolean): void {
  const first = paths.sqlite ?? paths.arrow;
  if (first === undefined) throw new Error('no trace format selected');
  // Everything is checked before anything is deleted: a refused run leaves the old trace whole.
  for (const path of [paths.sqlite, paths.arrow]) {
    if (path === undefined || !existsSync(path)) continue;
    if (statSync(path).isDirectory()) throw new TraceUnwritableError(path, new Error('it is a directory'));
    if (!force) throw new TraceExistsError(path);
    // --force overwrites a trace, not whatever file happens to have its name.
    if (!isTraceFile(path)) throw new TraceUnwritableError(path, new Error('a file that is not an irptrace trace is there (not overwriting it, even with --force)'));
  }
  try {
    for (const file of traceFiles(paths)) rmSync(file, { force: true });
  } catch (error) {
    throw new TraceUnwritableError(first, error);
  }
  try {
    makeDirectories(dirname(first));
  } catch (error) {
    throw new TraceUnwritableError(first, error);
  }
}

/** Whether a file starts as an irptrace trace does (or is empty, as a failed start leaves it). */
function isTraceFile(path: string): boolean {
  try {
    return headFormat(path) !== null;
  } catch {
    return false;
  }
}

/**
 * `mkdir -p`, one level at a time: Node's `mkdirSync(dir, { recursive: true })` never returns for
 * some paths it cannot create (under /proc, it retries forever).
 */
function makeDirectories(dir: string): void {
  const missing: string[] = [];
  for (let d = resolve(dir); !existsSync(d); d = dirname(d)) {
    missing.push(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing.reverse()) mkdirSync(d);
}

/** Deletes a recording's files (after a failure); never throws. */
export function removeTrace(paths: TracePaths): void {
  for (const file of traceFiles(paths)) {
    try {
      rmSync(file, { force: true });
    } catch {
      // Best effort: the failure being reported matters more.
    }
  }
}
