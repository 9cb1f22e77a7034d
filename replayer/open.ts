import { detectFormat } from '../recorder/index.js';
import { ArrowTraceFile } from './arrow-file.js';
import { SqliteTraceFile } from './sqlite-file.js';
import type { TraceFile } from './trace-file.js';

/**
 * Opens a trace file for reading, whichever format its first bytes say (recorder/info.ts
 * `detectFormat`). Throws the recorder's TraceNotFoundError, TraceFormatError and
 * TraceVersionError, or the replayer's TraceTruncatedError and TraceCorruptError.
 *
 * @example
 * ```ts
 * const trace = openTraceFile('traces/demo-seed1.arrow');
 * try { console.log(trace.count, trace.read(0, 9)); } finally { trace.close(); }
 * ```
 */
export function openTraceFile(path: string): TraceFile {
  return detectFormat(path) === 'sqlite' ? SqliteTraceFile.open(path) : ArrowTraceFile.open(path);
}
