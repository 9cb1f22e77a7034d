import { fmix, mixWords, stringDigest } from '../model/hash.js';

/** The chain lanes after each event (mixWords writes them here). */
const LANES = new Int32Array(2);
import { allValid, ROW_LAYOUT, type ColumnBlock, type DictColumn, type IntColumn, type Utf8Column } from './arrow-columns.js';
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
  const lastTime = fitsRecorderLayout(block.columns) ? chainRowsFast(path, block, start, stop, from) : chainRows(path, block, start, stop, from);
  const hashColumn = block.columns[22] as Utf8Column;
  const last = stop - 1;
  return { seq: block.first + last, hash: hashColumn.bytes.toString('latin1', hashColumn.offsets[last]!, hashColumn.offsets[last + 1]!), timeNs: lastTime };
}

/** The chain point of row `row` of a batch as stored: its seq, time and hash. */
export function pointAt(block: ColumnBlock, row: number): ChainPoint {
  const time = (block.columns[1] as IntColumn).words;
  const hash = block.columns[22] as Utf8Column;
  return { seq: block.first + row, hash: hash.bytes.toString('latin1', hash.offsets[row]!, hash.offsets[row + 1]!), timeNs: time[2 * row + 1]! * TWO_32 + (time[2 * row]! >>> 0) };
}

/**
 * The row loop of verifyColumns for any column layout, alone in its function: V8 compiles it on-stack while it loops,
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
        // The high word, two's complement, as ChainHasher writes it.
        words[n++] = hi;
      } else if (tag === NARROW) {
        words[n++] = ints[c]![i]!;
        // The high word of a 32-bit value: its sign, two's complement.
        words[n++] = ints[c]![i]! >> 31;
      } else if (tag === DICT) {
        words[n++] = dictDigest(columns[c] as DictColumn, indices[c]![i]!);
      } else {
        words[n++] = textDigest(columns[c] as Utf8Column, i);
      }
    }
    words[0] = presence;
    mixWords(a, b, words, n, LANES);
    a = LANES[0]!;
    b = LANES[1]!;
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

/** How the recorder lays the hashed columns out (arrow-columns.ts ROW_LAYOUT without the hash). */
function fitsRecorderLayout(columns: ColumnBlock['columns']): boolean {
  return columns.length === ROW_LAYOUT.length && columns.every((c, i) => {
    const want = ROW_LAYOUT[i];
    return c.type === 'int' ? want === (c.wide ? 'int64' : 'int32') : c.type === want;
  });
}

/**
 * chainRows for the recorder's own layout, written out column by column: no per-cell dispatch,
 * every array in a local. Same words, same order as ChainHasher.next (a high word as stored: two's
 * complement, as ChainHasher writes it).
 *
 * No branch per cell either: which columns are NULL varies from row to row in no pattern a CPU
 * predicts, so each cell's words are written at the current end whatever its validity bit `v`,
 * and the end moves on by `v` times their count (a NULL dictionary cell reads index 0; a column
 * without NULLs in the batch gets an all-ones bitmap).
 */
function chainRowsFast(path: string, block: ColumnBlock, start: number, stop: number, from: ChainPoint): number {
  const columns = block.columns;
  const hashColumn = columns[22] as Utf8Column;
  const hashBytes = hashColumn.bytes;
  const hashOffsets = hashColumn.offsets;
  const ones = allValid(block.length);
  const w0 = (columns[0] as IntColumn).words;
  const w1 = (columns[1] as IntColumn).words;
  const k4 = (columns[4] as DictColumn).indices;
  const d4 = digestTable(columns[4] as DictColumn);
  const w2 = (columns[2] as IntColumn).words;
  const v2 = columns[2]!.valid ?? ones;
  const w3 = (columns[3] as IntColumn).words;
  const v3 = columns[3]!.valid ?? ones;
  const w5 = (columns[5] as IntColumn).words;
  const v5 = columns[5]!.valid ?? ones;
  const k6 = (columns[6] as DictColumn).indices;
  const d6 = digestTable(columns[6] as DictColumn);
  const v6 = columns[6]!.valid ?? ones;
  const k7 = (columns[7] as DictColumn).indices;
  const d7 = digestTable(columns[7] as DictColumn);
  const v7 = columns[7]!.valid ?? ones;
  const k8 = (columns[8] as DictColumn).indices;
  const d8 = digestTable(columns[8] as DictColumn);
  const v8 = columns[8]!.valid ?? ones;
  const w9 = (columns[9] as IntColumn).words;
  const v9 = columns[9]!.valid ?? ones;
  const w10 = (columns[10] as IntColumn).words;
  const v10 = columns[10]!.valid ?? ones;
  const k11 = (columns[11] as DictColumn).indices;
  const d11 = digestTable(columns[11] as DictColumn);
  const v11 = columns[11]!.valid ?? ones;
  const w12 = (columns[12] as IntColumn).words;
  const v12 = columns[12]!.valid ?? ones;
  const w13 = (columns[13] as IntColumn).words;
  const v13 = columns[13]!.valid ?? ones;
  const w14 = (columns[14] as IntColumn).words;
  const v14 = columns[14]!.valid ?? ones;
  const k15 = (columns[15] as DictColumn).indices;
  const d15 = digestTable(columns[15] as DictColumn);
  const v15 = columns[15]!.valid ?? ones;
  const k16 = (columns[16] as DictColumn).indices;
  const d16 = digestTable(columns[16] as DictColumn);
  const v16 = columns[16]!.valid ?? ones;
  const w17 = (columns[17] as IntColumn).words;
  const v17 = columns[17]!.valid ?? ones;
  const w18 = (columns[18] as IntColumn).words;
  const v18 = columns[18]!.valid ?? ones;
  const k19 = (columns[19] as DictColumn).indices;
  const d19 = digestTable(columns[19] as DictColumn);
  const v19 = columns[19]!.valid ?? ones;
  const detail = columns[20] as Utf8Column;
  const v20 = columns[20]!.valid ?? ones;
  const w21 = (columns[21] as IntColumn).words;
  const v21 = columns[21]!.valid ?? ones;
  const stored = storedHashes(hashBytes, hashOffsets, start, stop);
  let a = parseInt(from.hash.slice(0, 8), 16) | 0;
  let b = parseInt(from.hash.slice(8, 16), 16) | 0;
  let expected = from.seq + 1;
  let lastTime = from.timeNs;
  const W = WORDS;
  let v = 0;
  for (let i = start; i < stop; i++) {
    const seq = w0[2 * i + 1]! * TWO_32 + (w0[2 * i]! >>> 0);
    if (seq !== expected) throw new TraceChainError(path, expected, `found seq ${seq} where ${expected} was expected`);
    const time = w1[2 * i + 1]! * TWO_32 + (w1[2 * i]! >>> 0);
    if (time < lastTime) throw new TraceChainError(path, seq, `time goes back from ${lastTime} to ${time} ns`);
    const byte = i >> 3;
    const bit = i & 7;
    // seq, time_ns and kind are never NULL.
    let presence = 0b10011;
    let n = 1;
    W[n++] = w0[2 * i]!; W[n++] = w0[2 * i + 1]!;
    W[n++] = w1[2 * i]!; W[n++] = w1[2 * i + 1]!;
    v = (v2[byte]! >> bit) & 1; presence |= v << 2; W[n] = w2[i]!; W[n + 1] = w2[i]! >> 31; n += v << 1;
    v = (v3[byte]! >> bit) & 1; presence |= v << 3; W[n] = w3[i]!; W[n + 1] = w3[i]! >> 31; n += v << 1;
    W[n++] = d4[k4[i]!]!;
    v = (v5[byte]! >> bit) & 1; presence |= v << 5; W[n] = w5[2 * i]!; W[n + 1] = w5[2 * i + 1]!; n += v << 1;
    v = (v6[byte]! >> bit) & 1; presence |= v << 6; W[n] = d6[k6[i]! & -v]!; n += v;
    v = (v7[byte]! >> bit) & 1; presence |= v << 7; W[n] = d7[k7[i]! & -v]!; n += v;
    v = (v8[byte]! >> bit) & 1; presence |= v << 8; W[n] = d8[k8[i]! & -v]!; n += v;
    v = (v9[byte]! >> bit) & 1; presence |= v << 9; W[n] = w9[2 * i]!; W[n + 1] = w9[2 * i + 1]!; n += v << 1;
    v = (v10[byte]! >> bit) & 1; presence |= v << 10; W[n] = w10[2 * i]!; W[n + 1] = w10[2 * i + 1]!; n += v << 1;
    v = (v11[byte]! >> bit) & 1; presence |= v << 11; W[n] = d11[k11[i]! & -v]!; n += v;
    v = (v12[byte]! >> bit) & 1; presence |= v << 12; W[n] = w12[i]!; W[n + 1] = w12[i]! >> 31; n += v << 1;
    v = (v13[byte]! >> bit) & 1; presence |= v << 13; W[n] = w13[2 * i]!; W[n + 1] = w13[2 * i + 1]!; n += v << 1;
    v = (v14[byte]! >> bit) & 1; presence |= v << 14; W[n] = w14[i]!; W[n + 1] = w14[i]! >> 31; n += v << 1;
    v = (v15[byte]! >> bit) & 1; presence |= v << 15; W[n] = d15[k15[i]! & -v]!; n += v;
    v = (v16[byte]! >> bit) & 1; presence |= v << 16; W[n] = d16[k16[i]! & -v]!; n += v;
    v = (v17[byte]! >> bit) & 1; presence |= v << 17; W[n] = w17[i]!; W[n + 1] = w17[i]! >> 31; n += v << 1;
    v = (v18[byte]! >> bit) & 1; presence |= v << 18; W[n] = w18[2 * i]!; W[n + 1] = w18[2 * i + 1]!; n += v << 1;
    v = (v19[byte]! >> bit) & 1; presence |= v << 19; W[n] = d19[k19[i]! & -v]!; n += v;
    v = (v20[byte]! >> bit) & 1; presence |= v << 20; W[n] = textDigest(detail, i); n += v;
    v = (v21[byte]! >> bit) & 1; presence |= v << 21; W[n] = w21[i]!; W[n + 1] = w21[i]! >> 31; n += v << 1;
    W[0] = presence;
    mixWords(a, b, W, n, LANES);
    a = LANES[0]!;
    b = LANES[1]!;
    const r = 3 * (i - start);
    if (stored[r] !== a || stored[r + 1] !== b || stored[r + 2] === 0) {
      const text = hashBytes.toString('latin1', hashOffsets[i]!, hashOffsets[i + 1]!);
      throw new TraceChainError(path, seq, `its stored hash ${text} does not follow from the chain (expected ${hex(a)}${hex(b)})`);
    }
    lastTime = time;
    expected++;
  }
  return lastTime;
}

/**
 * The stored hashes of rows `start`…`stop - 1` as triples: the two 32-bit lanes ChainHasher prints
 * as 16 lowercase hex digits, and 1 when the text is such a hash (0: it cannot match any chain).
 */
function storedHashes(bytes: Uint8Array, offsets: Int32Array, start: number, stop: number): Int32Array {
  const out = new Int32Array(3 * (stop - start));
  for (let i = start, r = 0; i < stop; i++, r += 3) {
    const at = offsets[i]!;
    if (offsets[i + 1]! - at !== 16) continue;
    let hi = 0;
    let lo = 0;
    let bad = 0;
    for (let d = 0; d < 8; d++) {
      const x = NIBBLE[bytes[at + d]!]!;
      const y = NIBBLE[bytes[at + 8 + d]!]!;
      bad |= x | y;
      hi = (hi << 4) | (x & 15);
      lo = (lo << 4) | (y & 15);
    }
    out[r] = hi;
    out[r + 1] = lo;
    out[r + 2] = bad < 0 ? 0 : 1;
  }
  return out;
}

/** Hex digit value of a byte; -1 for anything but 0-9 and a-f. */
const NIBBLE = Int8Array.from({ length: 256 }, (_, c) => (c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1));

/** A dictionary column's digests as a typed array (computed once per dictionary string). */
function digestTable(column: DictColumn): Int32Array {
  const { strings, digests } = column;
  for (let i = digests.length; i < strings.length; i++) digests.push(stringDigest(strings[i]!) | 0);
  // At least one entry: a NULL cell reads index 0.
  return digests.length === 0 ? new Int32Array(1) : Int32Array.from(digests);
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
  if (!column.ascii) return stringDigest(column.bytes.toString('utf8', start, end)) | 0;
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

