import { closeSync, openSync, readSync } from 'node:fs';
import type { TraceFormat } from './paths.js';

/**
 * What a file's first bytes say it is: a SQLite database or an Arrow IPC stream (or IPC file), an
 * empty file, or something else (null). A file that cannot be read throws the read error.
 */
export function headFormat(path: string): TraceFormat | 'empty' | null {
  const head = Buffer.alloc(16);
  const fd = openSync(path, 'r');
  let n: number;
  try {
    n = readSync(fd, head, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (n === 0) return 'empty';
  if (n >= 16 && head.toString('latin1', 0, 16) === 'SQLite format 3\0') return 'sqlite';
  // An IPC stream starts with a continuation marker (0xFFFFFFFF); an IPC file with ARROW1.
  if (n >= 4 && head.readInt32LE(0) === -1) return 'arrow';
  if (n >= 6 && head.toString('latin1', 0, 6) === 'ARROW1') return 'arrow';
  return null;
}
