import type { TraceEvent } from '../model/index.js';

/**
 * One record batch of an Arrow trace as typed-array views over its body (performance-notes §2.4:
 * read columns, not rows), and the events assembled from them. A BlockDecoder first runs one tight
 * loop per column into typed scratch arrays, then assembles rows: each event is built once, with
 * its fields in the simulator's order (one hidden class, as the simulator's own events).
 */

/** An integer column: 32-bit values, or 64-bit ones as (low, high) 32-bit word pairs. */
export interface IntColumn {
  readonly type: 'int';
  readonly words: Int32Array;
  readonly wide: boolean;
  /** Validity bitmap; null when the column has no NULL in this batch. */
  readonly valid: Uint8Array | null;
}

/** A dictionary-encoded string column. */
export interface DictColumn {
  readonly type: 'dict';
  readonly indices: Int16Array;
  /** The dictionary (may be longer than this batch needs: later deltas append). */
  readonly strings: readonly string[];
  /** stringDigest of each dictionary string, filled on demand (column-chain.ts). */
  readonly digests: number[];
  readonly valid: Uint8Array | null;
}

/** A plain UTF-8 column; `text` is the whole data buffer decoded once when it is ASCII. */
export interface Utf8Column {
  readonly type: 'utf8';
  readonly offsets: Int32Array;
  readonly bytes: Buffer;
  readonly text: string | null;
  readonly valid: Uint8Array | null;
}

export type Column = IntColumn | DictColumn | Utf8Column;

/** A batch's columns in `events` table order (EVENT_TABLE_COLUMNS: EVENT_COLUMNS, then hash). */
export interface ColumnBlock {
  /** seq of the batch's first row. */
  readonly first: number;
  readonly length: number;
  readonly columns: readonly Column[];
}

const TWO_32 = 4294967296;

export function isValid(valid: Uint8Array | null, i: number): boolean {
  return valid === null || ((valid[i >> 3]! >> (i & 7)) & 1) === 1;
}

/** An integer cell; null when NULL. */
export function intAt(c: IntColumn, i: number): number | null {
  if (c.valid !== null && ((c.valid[i >> 3]! >> (i & 7)) & 1) === 0) return null;
  if (!c.wide) return c.words[i]!;
  const lo = c.words[2 * i]!;
  const hi = c.words[2 * i + 1]!;
  return hi === 0 ? lo >>> 0 : hi * TWO_32 + (lo >>> 0);
}

/** A string cell (dictionary or plain); null when NULL. */
export function textAt(c: DictColumn | Utf8Column, i: number): string | null {
  if (c.valid !== null && ((c.valid[i >> 3]! >> (i & 7)) & 1) === 0) return null;
  if (c.type === 'dict') return c.strings[c.indices[i]!]!;
  const start = c.offsets[i]!;
  const end = c.offsets[i + 1]!;
  return c.text !== null ? c.text.slice(start, end) : c.bytes.toString('utf8', start, end);
}

/** Whether a UTF-8 buffer is plain ASCII (then latin1 decoding is exact and much faster). */
export function isAscii(bytes: Uint8Array): boolean {
  const n = bytes.length;
  let i = 0;
  if ((bytes.byteOffset & 3) === 0) {
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, n >>> 2);
    for (let w = 0; w < words.length; w++) if ((words[w]! & 0x80808080) !== 0) return false;
    i = words.length * 4;
  }
  for (; i < n; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

/** Integer columns (table order) and string columns of the `events` table, by position. */
const INT_AT = [0, 1, 2, 3, 5, 9, 10, 12, 13, 14, 17, 18, 21] as const;
const TEXT_AT = [4, 6, 7, 8, 11, 15, 16, 19, 20, 22] as const;
const DETAIL = 8;
const HASH = 9;

/** A mutable event for folding: filled in place row after row (`reduce` keeps no event). */
export type MutableEvent = { -readonly [K in keyof TraceEvent]: TraceEvent[K] };

/**
 * Decodes rows of a ColumnBlock. `decode(block, from, to)` runs one loop per column into reused
 * typed arrays (integers as float64, NaN for NULL; strings as indices into a per-column table, -1
 * for NULL); `event(k)` then builds row `from + k` as a new object, `fill(e, k)` writes it into an
 * existing one. One decoder per reader: the scratch arrays are reused from batch to batch.
 */
export class BlockDecoder {
  private capacity = 0;
  private ints: Float64Array[] = [];
  private codes: Int32Array[] = [];
  /** Per dictionary column, the strings its codes index. */
  private tables: (readonly string[])[] = TEXT_AT.map(() => []);
  /** The plain (non-dictionary) string columns, `detail` and `hash`, read row by row when asked. */
  private detail: Utf8Column | DictColumn | null = null;
  private hash: Utf8Column | DictColumn | null = null;
  private from = 0;
  length = 0;

  decode(block: ColumnBlock, from: number, to: number): void {
    const n = to - from;
    if (n > this.capacity) {
      this.capacity = Math.max(n, 4096);
      this.ints = INT_AT.map(() => new Float64Array(this.capacity));
      this.codes = TEXT_AT.slice(0, DETAIL).map(() => new Int32Array(this.capacity));
    }
    this.length = n;
    this.from = from;
    const columns = block.columns;
    for (let c = 0; c < INT_AT.length; c++) decodeInts(columns[INT_AT[c]!] as IntColumn, from, to, this.ints[c]!);
    // kind … api are dictionary columns; detail and hash are plain (arrow-file.ts checks the schema).
    for (let c = 0; c < DETAIL; c++) {
      const column = columns[TEXT_AT[c]!] as DictColumn;
      decodeCodes(column, from, to, this.codes[c]!);
      this.tables[c] = column.strings;
    }
    this.detail = columns[TEXT_AT[DETAIL]] as Utf8Column;
    this.hash = columns[TEXT_AT[HASH]] as Utf8Column;
  }

  /** `detail` of row `k`. */
  detailAt(k: number): string | null {
    return textAt(this.detail!, this.from + k);
  }

  /** `hash` of row `k`. */
  hashAt(k: number): string {
    return textAt(this.hash!, this.from + k)!;
  }

  /** Row `k` of the decoded range as a new (unfrozen) event. */
  event(k: number): TraceEvent {
    const i = this.ints;
    const c = this.codes;
    const t = this.tables;
    return {
      seq: i[0]![k]!,
      timeNs: i[1]![k]!,
      cpu: num(i[2]![k]!),
      irql: num(i[3]![k]!),
      kind: str(t[0]!, c[0]![k]!),
      activation: num(i[4]![k]!),
      routine: str(t[1]!, c[1]![k]!),
      driver: str(t[2]!, c[2]![k]!),
      device: str(t[3]!, c[3]![k]!),
      irp: num(i[5]![k]!),
      master: num(i[6]![k]!),
      major: str(t[4]!, c[4]![k]!),
      loc: num(i[7]![k]!),
      status: num(i[8]![k]!),
      newIrql: num(i[9]![k]!),
      dpc: str(t[5]!, c[5]![k]!),
      lock: str(t[6]!, c[6]![k]!),
      vector: num(i[10]![k]!),
      result: num(i[11]![k]!),
      api: str(t[7]!, c[7]![k]!),
      detail: this.detailAt(k),
      thread: num(i[12]![k]!),
      hash: this.hashAt(k),
    } as TraceEvent;
  }

  /** Row `k` written into `e` (the fold's flyweight), but for `hash`, which the fold never reads. */
  fill(e: MutableEvent, k: number): void {
    const i = this.ints;
    const c = this.codes;
    const t = this.tables;
    e.seq = i[0]![k]! as TraceEvent['seq'];
    e.timeNs = i[1]![k]!;
    e.cpu = num(i[2]![k]!);
    e.irql = num(i[3]![k]!);
    e.kind = str(t[0]!, c[0]![k]!) as TraceEvent['kind'];
    e.activation = num(i[4]![k]!) as TraceEvent['activation'];
    e.routine = str(t[1]!, c[1]![k]!);
    e.driver = str(t[2]!, c[2]![k]!);
    e.device = str(t[3]!, c[3]![k]!);
    e.irp = num(i[5]![k]!) as TraceEvent['irp'];
    e.master = num(i[6]![k]!) as TraceEvent['master'];
    e.major = str(t[4]!, c[4]![k]!);
    e.loc = num(i[7]![k]!);
    e.status = num(i[8]![k]!);
    e.newIrql = num(i[9]![k]!);
    e.dpc = str(t[5]!, c[5]![k]!);
    e.lock = str(t[6]!, c[6]![k]!);
    e.vector = num(i[10]![k]!);
    e.result = num(i[11]![k]!);
    e.api = str(t[7]!, c[7]![k]!) as TraceEvent['api'];
    e.detail = this.detailAt(k) as TraceEvent['detail'];
    e.thread = num(i[12]![k]!);
  }
}

/** A fresh flyweight with every field of an event (the fold's one hidden class). */
export function blankEvent(): MutableEvent {
  return {
    seq: 0, timeNs: 0, cpu: null, irql: null, kind: 'SessionStarted', activation: null, routine: null, driver: null, device: null,
    irp: null, master: null, major: null, loc: null, status: null, newIrql: null, dpc: null, lock: null, vector: null, result: null,
    api: null, detail: '', thread: null, hash: '',
  } as unknown as MutableEvent;
}

function num(v: number): number | null {
  return v === v ? v : null;
}

function str(table: readonly string[], code: number): string | null {
  return code < 0 ? null : table[code]!;
}

function decodeInts(c: IntColumn, from: number, to: number, into: Float64Array): void {
  const { words, valid } = c;
  if (c.wide) {
    for (let i = from, k = 0; i < to; i++, k++) {
      const hi = words[2 * i + 1]!;
      const lo = words[2 * i]! >>> 0;
      into[k] = hi === 0 ? lo : hi * TWO_32 + lo;
    }
  } else {
    for (let i = from, k = 0; i < to; i++, k++) into[k] = words[i]!;
  }
  if (valid !== null) {
    for (let i = from, k = 0; i < to; i++, k++) if (((valid[i >> 3]! >> (i & 7)) & 1) === 0) into[k] = NaN;
  }
}

function decodeCodes(c: DictColumn, from: number, to: number, into: Int32Array): void {
  const { indices, valid } = c;
  for (let i = from, k = 0; i < to; i++, k++) into[k] = indices[i]!;
  if (valid !== null) {
    for (let i = from, k = 0; i < to; i++, k++) if (((valid[i >> 3]! >> (i & 7)) & 1) === 0) into[k] = -1;
  }
}
