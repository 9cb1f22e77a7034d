/**
 * The recorder's failures: each has a one-line message fit for a terminal, a stable `code`, and the
 * path concerned. Anything else thrown while recording is a bug.
 */
export type RecorderErrorCode =
  | 'TRACE_EXISTS' | 'TRACE_UNWRITABLE' | 'DISK_FULL' | 'TRACE_WRITE' | 'TRACE_VALUE'
  | 'TRACE_NOT_FOUND' | 'TRACE_FORMAT' | 'TRACE_DAMAGED' | 'TRACE_VERSION';

export class RecorderError extends Error {
  constructor(readonly code: RecorderErrorCode, readonly path: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RecorderError';
  }
}

/** The output file exists and `force` was not given. */
export class TraceExistsError extends RecorderError {
  constructor(path: string) {
    super('TRACE_EXISTS', path, `a trace already exists at ${path} (use --force to overwrite it)`);
    this.name = 'TraceExistsError';
  }
}

/** The output path cannot be created or written (no such directory, permissions, read-only file system). */
export class TraceUnwritableError extends RecorderError {
  constructor(path: string, cause?: unknown) {
    super('TRACE_UNWRITABLE', path, `cannot write a trace at ${path}: ${reason(cause)}`, { cause });
    this.name = 'TraceUnwritableError';
  }
}

/** The disk (or the quota) filled up while recording; the partial trace is removed. */
export class DiskFullError extends RecorderError {
  constructor(path: string, cause?: unknown) {
    super('DISK_FULL', path, `no space left on the device while writing ${path}; the partial trace was removed`, { cause });
    this.name = 'DiskFullError';
  }
}

/** Any other I/O failure while recording; the partial trace is removed. */
export class TraceWriteError extends RecorderError {
  constructor(path: string, cause?: unknown) {
    super('TRACE_WRITE', path, `writing ${path} failed: ${reason(cause)}; the partial trace was removed`, { cause });
    this.name = 'TraceWriteError';
  }
}

/** An event carries a value its column cannot hold exactly (a fraction in an INTEGER column, say). */
export class TraceValueError extends RecorderError {
  constructor(path: string, readonly column: string, readonly seq: number, readonly value: unknown) {
    super('TRACE_VALUE', path, `event ${seq}: column ${column} cannot hold ${String(value)} (writing ${path})`);
    this.name = 'TraceValueError';
  }
}

/** There is no file at the path given to a reader. */
export class TraceNotFoundError extends RecorderError {
  constructor(path: string) {
    super('TRACE_NOT_FOUND', path, path === '' ? 'no trace: the path given is empty' : `no trace at ${path}`);
    this.name = 'TraceNotFoundError';
  }
}

/** The file is not an irptrace trace (not SQLite or Arrow, or missing its tables or metadata). */
export class TraceFormatError extends RecorderError {
  constructor(path: string, why: string, cause?: unknown) {
    super('TRACE_FORMAT', path, `${path} is not an irptrace trace: ${why}`, { cause });
    this.name = 'TraceFormatError';
  }
}

/** A file of a trace format (SQLite's header is there) that cannot be read: truncated or damaged. */
export class TraceDamagedError extends RecorderError {
  constructor(path: string, cause?: unknown) {
    super('TRACE_DAMAGED', path, `${path} is a damaged or truncated trace: ${isDamagedDatabase(cause) ? WORDS.SQLITE_CORRUPT : reason(cause)}`, { cause });
    this.name = 'TraceDamagedError';
  }
}

/** The trace was written by a newer irptrace, with a layout this one does not know. */
export class TraceVersionError extends RecorderError {
  constructor(path: string, readonly version: number, readonly supported: number) {
    super('TRACE_VERSION', path, `${path} has trace schema version ${version}, newer than this irptrace reads (${supported}); upgrade irptrace`);
    this.name = 'TraceVersionError';
  }
}

const WORDS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory', ENOTDIR: 'a parent is not a directory', EACCES: 'permission denied',
  EPERM: 'operation not permitted', ENAMETOOLONG: 'file name too long', EROFS: 'read-only file system', EISDIR: 'it is a directory', EEXIST: 'it already exists',
  ENOSPC: 'no space left on the device', EDQUOT: 'disk quota exceeded', EIO: 'input/output error',
  SQLITE_CANTOPEN: 'the database file cannot be opened', SQLITE_READONLY: 'the database is read-only',
  SQLITE_PERM: 'permission denied', SQLITE_FULL: 'the database or disk is full', SQLITE_CORRUPT: 'the file is corrupt',
  SQLITE_NOTADB: 'not a database',
};

/** A short phrase for a cause: the errno's meaning, or the error's first line. */
function reason(cause: unknown): string {
  const code = errorCode(cause);
  if (code !== undefined && WORDS[code] !== undefined) return WORDS[code];
  if (cause instanceof Error) return cause.message.split('\n')[0] ?? cause.name;
  return cause === undefined ? 'unknown error' : String(cause);
}

/**
 * Whether SQLite failed because the file is damaged (SQLITE_CORRUPT…, SQLITE_NOTADB) — also when the
 * failure came back from another thread as text, or wrapped as another error's cause.
 */
export function isDamagedDatabase(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = errorCode(e);
    if (code !== undefined && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB')) return true;
    if (e instanceof Error && /database disk image is malformed|file is not a database/.test(e.message)) return true;
  }
  return false;
}

/** `code` of a Node system error or a better-sqlite3 SqliteError. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

const FULL = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);
const UNWRITABLE = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'EROFS', 'EISDIR', 'ENAMETOOLONG', 'SQLITE_CANTOPEN', 'SQLITE_READONLY', 'SQLITE_PERM']);

/**
 * Classifies a failure while writing `path`. `opening`: it happened while creating the file, so a
 * permission problem is about the path rather than a failing device.
 */
export function writeFailure(path: string, error: unknown, opening = false): RecorderError {
  if (error instanceof RecorderError) return error;
  const code = errorCode(error);
  if (code !== undefined && FULL.has(code)) return new DiskFullError(path, error);
  if (code !== undefined && opening && UNWRITABLE.has(code)) return new TraceUnwritableError(path, error);
  return new TraceWriteError(path, error);
}
