import { stringDigest } from '../model/hash.js';
import type { ColumnBlock, DictColumn, IntColumn, Utf8Column } from './arrow-columns.js';
import type { ChainPoint } from './chain.js';
import { TraceChainError } from './errors.js';

/**
 * The hash chain of model/hash.ts computed on an Arrow batch's columns, without building an event:
 * the integer words come straight from the typed arrays, a dictionary string's digest is computed
 * once per dictionary entry, an ASCII `detail` is digested from its bytes, and the result is
 * compared with the stored hash's bytes. It must agree bit for bit with ChainHasher: the replay
 * tests check every built-in scenario's trace with both.
 *
 * Returns the point after row `stop - 1`; throws a TraceChainError at the first row that does not
 * follow (seq not dense, time going back, hash not the chain's).
 */
export function verifyColumns(path: string, block: ColumnBlock, start: number, stop: number, from: ChainPoint): ChainPoint {
  if (stop <= start) return from;
  const lastTime = chainRows(path, block, start, stop, from);
  const hashColumn = block.columns[22] as Utf8Column;
  const last = stop - 1;
  return { seq: block.first + last, hash: hashColumn.bytes.toString('latin1', hashColumn.offsets[last]!, hashColumn.offsets[last + 1]!), timeNs: lastTime };
}

/**
 * The row loop of verifyColumns, alone in its function: V8 compiles it on-stack while it loops,
 * and code after such a loop in the same function kept being deoptimized (no type feedback yet).
 * Returns the last row's time.
 */
function chainRows(path: string, block: ColumnBlock, start: number, stop: number, from: ChainPoint): number {
  const columns = block.columns;
  const seqWords = (columns[0] as IntColumn).words;
  const timeColumn = columns[1] as IntColumn;
  const hashColumn = columns[22] as Utf8Column;
  const hashBytes = hashColumn.bytes;
  const hashOffsets = hashColumn.offsets;
  let a = parseInt(from.hash.slice(0, 8), 16) | 0;
  let b = parseInt(from.hash.slice(8, 16), 16) | 0;
  let expected = from.seq + 1;
  let lastTime = from.timeNs;
  let time = lastTime;
  const words = WORDS;
  // Per column, monomorphic arrays and a type tag: one shape per array keeps the row loop fast.
  const tags = TAGS;
  const ints: Int32Array[] = [];
  const indices: Int16Array[] = [];
  const valids: (Uint8Array | null)[] = [];
  for (let c = 0; c < 22; c++) {
    const column = columns[c]!;
    valids.push(column.valid);
    if (column.type === 'int') {
      tags[c] = column.wide ? WIDE : NARROW;
      ints.push(column.words);
      indices.push(NO_INDICES);
    } else if (column.type === 'dict') {
      tags[c] = DICT;
      ints.push(NO_WORDS);
      indices.push(column.indices);
    } else {
      tags[c] = TEXT;
      ints.push(NO_WORDS);
      indices.push(NO_INDICES);
    }
  }
  for (let i = start; i < stop; i++) {
    const seq = seqWords[2 * i + 1]! * TWO_32 + (seqWords[2 * i]! >>> 0);
    if (seq !== expected) throw new TraceChainError(path, expected, `found seq ${seq} where ${expected} was expected`);
    time = timeColumn.words[2 * i + 1]! * TWO_32 + (timeColumn.words[2 * i]! >>> 0);
    if (time < lastTime) throw new TraceChainError(path, seq, `time goes back from ${lastTime} to ${time} ns`);
    // Presence word, then each non-NULL column in order (model/hash.ts, docs/trace-format.md).
    let presence = 0;
    let n = 1;
    for (let c = 0; c < 22; c++) {
      const valid = valids[c]!;
      if (valid !== null && ((valid[i >> 3]! >> (i & 7)) & 1) === 0) continue;
      presence |= 1 << c;
      const tag = tags[c]!;
      if (tag === WIDE) {
        const w = ints[c]!;
        words[n++] = w[2 * i]!;
        const hi = w[2 * i + 1]!;
        // ChainHasher writes the high word of a value ≥ 2^32 only (a negative value's is 0).
        words[n++] = hi > 0 ? hi : 0;
      } else if (tag === NARROW) {
        words[n++] = ints[c]![i]!;
        words[n++] = 0;
      } else if (tag === DICT) {
        words[n++] = dictDigest(columns[c] as DictColumn, indices[c]![i]!);
      } else {
        words[n++] = textDigest(columns[c] as Utf8Column, i);
      }
    }
    words[0] = presence;
    for (let w = 0; w < n; w++) {
      let k = Math.imul(words[w]!, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      a ^= k;
      a = (a << 13) | (a >>> 19);
      a = (Math.imul(a, 5) + 0xe6546b64) | 0;
      b ^= k ^ (k >>> 16);
      b = (b << 17) | (b >>> 15);
      b = (Math.imul(b, 9) + 0x7f4a7c15) | 0;
    }
    a = fmix(a);
    b = fmix(b ^ 0x27d4eb2f);
    a = (a + b) | 0;
    b = (b + a) | 0;
    const at = hashOffsets[i]!;
    if (hashOffsets[i + 1]! - at !== 16 || !hexEquals(hashBytes, at, a) || !hexEquals(hashBytes, at + 8, b)) {
      const stored = hashBytes.toString('latin1', at, hashOffsets[i + 1]!);
      throw new TraceChainError(path, seq, `its stored hash ${stored} does not follow from the chain (expected ${hex(a)}${hex(b)})`);
    }
    lastTime = time;
    expected++;
  }
  return lastTime;
}

const TWO_32 = 4294967296;
const WORDS = new Int32Array(64);
const TAGS = new Int8Array(22);
const WIDE = 0;
const NARROW = 1;
const DICT = 2;
const TEXT = 3;
const NO_WORDS = new Int32Array(0);
const NO_INDICES = new Int16Array(0);
const HEX = [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102];

function hexEquals(bytes: Uint8Array, at: number, v: number): boolean {
  for (let d = 0; d < 8; d++) if (bytes[at + d] !== HEX[(v >>> (28 - 4 * d)) & 15]) return false;
  return true;
}

function hex(v: number): string {
  return (v >>> 0).toString(16).padStart(8, '0');
}

function dictDigest(column: DictColumn, index: number): number {
  const digests = column.digests;
  let d = digests[index];
  if (d === undefined) {
    d = stringDigest(column.strings[index]!) | 0;
    digests[index] = d;
  }
  return d;
}

/** stringDigest of a plain column's cell: from the bytes when the column is ASCII (code units = bytes). */
function textDigest(column: Utf8Column, i: number): number {
  const start = column.offsets[i]!;
  const end = column.offsets[i + 1]!;
  if (column.text === null) return stringDigest(column.bytes.toString('utf8', start, end)) | 0;
  const bytes = column.bytes;
  let h = 0;
  for (let j = start; j < end; j++) {
    let k = Math.imul(bytes[j]!, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  return fmix(h ^ (end - start));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}
