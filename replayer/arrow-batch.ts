import { readSync } from 'node:fs';
import { Utf8Cells, type Column, type ColumnBlock } from './arrow-columns.js';
import type { ChainPoint } from './chain.js';
import { TraceCorruptError, TraceTruncatedError } from './errors.js';

/**
 * The record batches of an Arrow trace as an index (where each lies, how its body is laid out) and
 * their decoding into column views — everything both the reader (arrow-file.ts) and the chain
 * checking thread (chain-worker.ts) need, and nothing heavier: no apache-arrow, no recorder, so the
 * thread starts quickly. Plain data, so that the index crosses to the thread as it is.
 */

/** Where a record batch lies in the file, and what its metadata says. */
export interface BatchEntry {
  /** seq of its first row. */
  readonly first: number;
  readonly rows: number;
  /** Byte offset of the body, and its length. */
  readonly body: number;
  readonly bodyLength: number;
  readonly nodes: readonly { readonly length: number; readonly nullCount: number }[];
  readonly buffers: readonly { readonly offset: number; readonly length: number }[];
  /** Index of the message in the stream (orders it against dictionary batches). */
  readonly position: number;
}

/** A dictionary's strings from one replacement (or the first batch) on, deltas appended. */
export interface DictionaryEpoch {
  readonly position: number;
  readonly strings: string[];
  /** stringDigest of each string, filled on demand by the chain check. */
  readonly digests: number[];
  /** string → index, built on first use by `find`. */
  codes?: Map<string, number>;
}

/** How a schema field is laid out in a record batch body. */
export interface FieldLayout {
  readonly name: string;
  readonly kind: 'int32' | 'int64' | 'utf8' | 'dict';
  readonly dictionaryId: number;
}

/** The dictionary epoch a batch at stream `position` uses. */
export function epochOf(path: string, dictionaries: ReadonlyMap<number, readonly DictionaryEpoch[]>, id: number, position: number): DictionaryEpoch {
  const epochs = dictionaries.get(id);
  let found: DictionaryEpoch | undefined;
  for (const e of epochs ?? []) if (e.position < position) found = e;
  if (found === undefined) throw new TraceCorruptError(path, `a record batch uses dictionary ${id} before any dictionary batch defines it`);
  return found;
}

/**
 * Batch `b` (`entry`) read into `body` (at least `entry.bodyLength` bytes) and decoded as column
 * views over it: valid while `body` is not reused.
 */
export function decodeBatch(
  path: string, fd: number, b: number, entry: BatchEntry, layouts: readonly FieldLayout[],
  dictionaries: ReadonlyMap<number, readonly DictionaryEpoch[]>, buffer: Buffer,
): ColumnBlock {
  const body = buffer.subarray(0, entry.bodyLength);
  const got = readSync(fd, body, 0, entry.bodyLength, entry.body);
  if (got !== entry.bodyLength) throw new TraceTruncatedError(path, entry.body + got);
  const columns: Column[] = [];
  let buffers = 0;
  const slice = (): Buffer => {
    const region = entry.buffers[buffers++];
    if (region === undefined || region.offset + region.length > body.length) throw new TraceCorruptError(path, `record batch ${b} has a buffer outside its body`);
    return body.subarray(region.offset, region.offset + region.length);
  };
  for (let f = 0; f < layouts.length; f++) {
    const layout = layouts[f]!;
    const node = entry.nodes[f]!;
    const validity = slice();
    // A plain Uint8Array view, not the Buffer slice: the row readers' validity fields then see one map.
    const valid = node.nullCount === 0 || validity.length === 0 ? null : new Uint8Array(validity.buffer, validity.byteOffset, validity.length);
    if (layout.kind === 'int32' || layout.kind === 'int64') {
      const data = slice();
      const wide = layout.kind === 'int64';
      if (data.length < entry.rows * (wide ? 8 : 4)) throw new TraceCorruptError(path, `record batch ${b}: column ${layout.name} is short`);
      columns.push({ type: 'int', words: new Int32Array(data.buffer, data.byteOffset, entry.rows * (wide ? 2 : 1)), wide, valid });
    } else if (layout.kind === 'dict') {
      const data = slice();
      const { strings, digests } = epochOf(path, dictionaries, layout.dictionaryId, entry.position);
      columns.push({ type: 'dict', indices: new Int16Array(data.buffer, data.byteOffset, entry.rows), strings, digests, valid });
    } else {
      const offsets = slice();
      const bytes = slice();
      const offsetView = new Int32Array(offsets.buffer, offsets.byteOffset, entry.rows + 1);
      columns.push(new Utf8Cells(offsetView, bytes, valid));
    }
  }
  return { first: entry.first, length: entry.rows, columns };
}

/**
 * The chain point of a batch's last row as stored (its seq, time and hash), read from the file
 * without the rest of the batch: where a check of the next batch starts. The recorder's layout
 * only (seq and time_ns the first two columns, 64-bit; the hash the last, UTF-8).
 */
export function lastRowPoint(path: string, fd: number, entry: BatchEntry, layouts: readonly FieldLayout[]): ChainPoint {
  // Buffers per field: validity + data (integers, dictionaries), validity + offsets + data (UTF-8).
  let at = 0;
  for (let f = 0; f < layouts.length - 1; f++) at += layouts[f]!.kind === 'utf8' ? 3 : 2;
  const last = entry.rows - 1;
  const read = (region: { offset: number; length: number } | undefined, from: number, length: number): Buffer => {
    if (region === undefined || from < 0 || from + length > region.length) throw new TraceCorruptError(path, `a record batch at byte ${entry.body} has a buffer outside its body`);
    const out = Buffer.alloc(length);
    if (readSync(fd, out, 0, length, entry.body + region.offset + from) !== length) throw new TraceTruncatedError(path, entry.body + region.offset + from);
    return out;
  };
  const int64 = (bytes: Buffer): number => bytes.readInt32LE(4) * 4294967296 + bytes.readUInt32LE(0);
  const seq = int64(read(entry.buffers[1], 8 * last, 8));
  const timeNs = int64(read(entry.buffers[3], 8 * last, 8));
  const offsets = read(entry.buffers[at + 1], 4 * last, 8);
  const start = offsets.readInt32LE(0);
  const hash = read(entry.buffers[at + 2], start, offsets.readInt32LE(4) - start).toString('latin1');
  return { seq, timeNs, hash };
}
