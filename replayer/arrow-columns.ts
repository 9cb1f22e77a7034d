import type { TraceEvent } from '../model/index.js';

/**
 * One record batch of an Arrow trace as typed-array views over its body (performance-notes §2.4:
 * read columns, not rows), and the events built from them by a RowReader: each event once, with its
 * fields in the simulator's order (one hidden class, as the simulator's own events).
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

/** A mutable event for folding: filled in place row after row (`reduce` keeps no event). */
export type MutableEvent = { -readonly [K in keyof TraceEvent]: TraceEvent[K] };

/** How the recorder lays the `events` columns out in Arrow (recorder/arrow-schema.ts), in table order. */
export const ROW_LAYOUT = Object.freeze([
  'int64', 'int64', 'int32', 'int32', 'dict', 'int64', 'dict', 'dict', 'dict', 'int64', 'int64', 'dict',
  'int32', 'int64', 'int32', 'dict', 'dict', 'int32', 'int64', 'dict', 'utf8', 'int32', 'utf8',
] as const);

const NONE: Uint8Array = new Uint8Array(0);
const NO_WORDS: Int32Array = new Int32Array(0);
const NO_CODES: Int16Array = new Int16Array(0);
const NO_STRINGS: readonly string[] = [];

/**
 * Reads rows of a record batch laid out as ROW_LAYOUT: each column's typed arrays are held in a
 * field of their own (one shape, no per-cell dispatch), integers are read from 32-bit words (small
 * integers stay small integers, no boxed doubles), strings come from the dictionaries or one
 * latin1 decoding of the batch's `detail` and `hash` bytes. `set(block)` once per batch, then
 * `event(i)` builds row `i` as a new (unfrozen) event and `fill(e, i)` writes it into the fold's
 * flyweight (all but the hash, which the fold never reads).
 */
export class RowReader {
  private w0 = NO_WORDS; private w1 = NO_WORDS;
  private w2 = NO_WORDS; private v2 = NONE; private w3 = NO_WORDS; private v3 = NONE;
  private k4 = NO_CODES; private s4 = NO_STRINGS;
  private w5 = NO_WORDS; private v5 = NONE;
  private k6 = NO_CODES; private s6 = NO_STRINGS; private v6 = NONE;
  private k7 = NO_CODES; private s7 = NO_STRINGS; private v7 = NONE;
  private k8 = NO_CODES; private s8 = NO_STRINGS; private v8 = NONE;
  private w9 = NO_WORDS; private v9 = NONE; private w10 = NO_WORDS; private v10 = NONE;
  private k11 = NO_CODES; private s11 = NO_STRINGS; private v11 = NONE;
  private w12 = NO_WORDS; private v12 = NONE; private w13 = NO_WORDS; private v13 = NONE; private w14 = NO_WORDS; private v14 = NONE;
  private k15 = NO_CODES; private s15 = NO_STRINGS; private v15 = NONE;
  private k16 = NO_CODES; private s16 = NO_STRINGS; private v16 = NONE;
  private w17 = NO_WORDS; private v17 = NONE; private w18 = NO_WORDS; private v18 = NONE;
  private k19 = NO_CODES; private s19 = NO_STRINGS; private v19 = NONE;
  private o20 = NO_WORDS; private t20 = ''; private b20: Buffer | null = null; private v20 = NONE;
  private w21 = NO_WORDS; private v21 = NONE;
  private o22 = NO_WORDS; private t22 = '';

  /** Whether a batch's columns are laid out as this reader expects. */
  static fits(block: ColumnBlock): boolean {
    return block.columns.length === ROW_LAYOUT.length && block.columns.every((c, i) => {
      const want = ROW_LAYOUT[i];
      return c.type === 'int' ? want === (c.wide ? 'int64' : 'int32') : c.type === want;
    });
  }

  set(block: ColumnBlock): void {
    const c = block.columns;
    const int = (i: number): IntColumn => c[i] as IntColumn;
    const dict = (i: number): DictColumn => c[i] as DictColumn;
    const valid = (i: number): Uint8Array => c[i]!.valid ?? NONE;
    this.w0 = int(0).words; this.w1 = int(1).words;
    this.w2 = int(2).words; this.v2 = valid(2); this.w3 = int(3).words; this.v3 = valid(3);
    this.k4 = dict(4).indices; this.s4 = dict(4).strings;
    this.w5 = int(5).words; this.v5 = valid(5);
    this.k6 = dict(6).indices; this.s6 = dict(6).strings; this.v6 = valid(6);
    this.k7 = dict(7).indices; this.s7 = dict(7).strings; this.v7 = valid(7);
    this.k8 = dict(8).indices; this.s8 = dict(8).strings; this.v8 = valid(8);
    this.w9 = int(9).words; this.v9 = valid(9); this.w10 = int(10).words; this.v10 = valid(10);
    this.k11 = dict(11).indices; this.s11 = dict(11).strings; this.v11 = valid(11);
    this.w12 = int(12).words; this.v12 = valid(12); this.w13 = int(13).words; this.v13 = valid(13); this.w14 = int(14).words; this.v14 = valid(14);
    this.k15 = dict(15).indices; this.s15 = dict(15).strings; this.v15 = valid(15);
    this.k16 = dict(16).indices; this.s16 = dict(16).strings; this.v16 = valid(16);
    this.w17 = int(17).words; this.v17 = valid(17); this.w18 = int(18).words; this.v18 = valid(18);
    this.k19 = dict(19).indices; this.s19 = dict(19).strings; this.v19 = valid(19);
    const detail = c[20] as Utf8Column;
    this.o20 = detail.offsets; this.t20 = detail.text ?? ''; this.b20 = detail.text === null ? detail.bytes : null; this.v20 = valid(20);
    this.w21 = int(21).words; this.v21 = valid(21);
    const hash = c[22] as Utf8Column;
    this.o22 = hash.offsets; this.t22 = hash.text ?? hash.bytes.toString('utf8');
  }

  event(i: number): TraceEvent {
    // Written out column by column (no helper calls): V8 stops inlining helpers in a method this long.
    let h: number;
    let v: Uint8Array;
    return {
      seq: ((h = this.w0[2 * i + 1]!) === 0 ? this.w0[2 * i]! >>> 0 : h * TWO_32 + (this.w0[2 * i]! >>> 0)),
      timeNs: ((h = this.w1[2 * i + 1]!) === 0 ? this.w1[2 * i]! >>> 0 : h * TWO_32 + (this.w1[2 * i]! >>> 0)),
      cpu: ((v = this.v2).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? this.w2[i]! : null),
      irql: ((v = this.v3).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? this.w3[i]! : null),
      kind: this.s4[this.k4[i]!]!,
      activation: ((v = this.v5).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? ((h = this.w5[2 * i + 1]!) === 0 ? this.w5[2 * i]! >>> 0 : h * TWO_32 + (this.w5[2 * i]! >>> 0)) : null),
      routine: ((v = this.v6).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? this.s6[this.k6[i]!]! : null),
      driver: ((v = this.v7).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? this.s7[this.k7[i]!]! : null),
      device: ((v = this.v8).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? this.s8[this.k8[i]!]! : null),
      irp: ((v = this.v9).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? ((h = this.w9[2 * i + 1]!) === 0 ? this.w9[2 * i]! >>> 0 : h * TWO_32 + (this.w9[2 * i]! >>> 0)) : null),
      master: ((v = this.v10).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? ((h = this.w10[2 * i + 1]!) === 0 ? this.w10[2 * i]! >>> 0 : h * TWO_32 + (this.w10[2 * i]! >>> 0)) : null),
      major: ((v = this.v11).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? this.s11[this.k11[i]!]! : null),
      loc: ((v = this.v12).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? this.w12[i]! : null),
      status: ((v = this.v13).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? ((h = this.w13[2 * i + 1]!) === 0 ? this.w13[2 * i]! >>> 0 : h * TWO_32 + (this.w13[2 * i]! >>> 0)) : null),
      newIrql: ((v = this.v14).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? this.w14[i]! : null),
      dpc: ((v = this.v15).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? this.s15[this.k15[i]!]! : null),
      lock: ((v = this.v16).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? this.s16[this.k16[i]!]! : null),
      vector: ((v = this.v17).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? this.w17[i]! : null),
      result: ((v = this.v18).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? ((h = this.w18[2 * i + 1]!) === 0 ? this.w18[2 * i]! >>> 0 : h * TWO_32 + (this.w18[2 * i]! >>> 0)) : null),
      api: ((v = this.v19).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? this.s19[this.k19[i]!]! : null),
      detail: ((v = this.v20).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? this.detail(i) : null),
      thread: ((v = this.v21).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? this.w21[i]! : null),
      hash: this.t22.slice(this.o22[i]!, this.o22[i + 1]!),
    } as TraceEvent;
  }

  fill(e: MutableEvent, i: number): void {
    let h: number;
    let v: Uint8Array;
    e.seq = ((h = this.w0[2 * i + 1]!) === 0 ? this.w0[2 * i]! >>> 0 : h * TWO_32 + (this.w0[2 * i]! >>> 0)) as TraceEvent['seq'];
    e.timeNs = ((h = this.w1[2 * i + 1]!) === 0 ? this.w1[2 * i]! >>> 0 : h * TWO_32 + (this.w1[2 * i]! >>> 0));
    e.cpu = ((v = this.v2).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? this.w2[i]! : null);
    e.irql = ((v = this.v3).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? this.w3[i]! : null);
    e.kind = this.s4[this.k4[i]!]! as TraceEvent['kind'];
    e.activation = ((v = this.v5).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? ((h = this.w5[2 * i + 1]!) === 0 ? this.w5[2 * i]! >>> 0 : h * TWO_32 + (this.w5[2 * i]! >>> 0)) : null) as TraceEvent['activation'];
    e.routine = ((v = this.v6).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? this.s6[this.k6[i]!]! : null);
    e.driver = ((v = this.v7).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? this.s7[this.k7[i]!]! : null);
    e.device = ((v = this.v8).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? this.s8[this.k8[i]!]! : null);
    e.irp = ((v = this.v9).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? ((h = this.w9[2 * i + 1]!) === 0 ? this.w9[2 * i]! >>> 0 : h * TWO_32 + (this.w9[2 * i]! >>> 0)) : null) as TraceEvent['irp'];
    e.master = ((v = this.v10).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? ((h = this.w10[2 * i + 1]!) === 0 ? this.w10[2 * i]! >>> 0 : h * TWO_32 + (this.w10[2 * i]! >>> 0)) : null) as TraceEvent['master'];
    e.major = ((v = this.v11).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? this.s11[this.k11[i]!]! : null);
    e.loc = ((v = this.v12).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? this.w12[i]! : null);
    e.status = ((v = this.v13).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? ((h = this.w13[2 * i + 1]!) === 0 ? this.w13[2 * i]! >>> 0 : h * TWO_32 + (this.w13[2 * i]! >>> 0)) : null);
    e.newIrql = ((v = this.v14).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? this.w14[i]! : null);
    e.dpc = ((v = this.v15).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? this.s15[this.k15[i]!]! : null);
    e.lock = ((v = this.v16).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? this.s16[this.k16[i]!]! : null);
    e.vector = ((v = this.v17).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? this.w17[i]! : null);
    e.result = ((v = this.v18).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? ((h = this.w18[2 * i + 1]!) === 0 ? this.w18[2 * i]! >>> 0 : h * TWO_32 + (this.w18[2 * i]! >>> 0)) : null);
    e.api = ((v = this.v19).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? this.s19[this.k19[i]!]! : null) as TraceEvent['api'];
    e.detail = ((v = this.v20).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? this.detail(i) : null) as TraceEvent['detail'];
    e.thread = ((v = this.v21).length === 0 || ((v[i >> 3]! >> (i & 7)) & 1) === 1 ? this.w21[i]! : null);
  }

  private detail(i: number): string {
    const start = this.o20[i]!;
    const end = this.o20[i + 1]!;
    return this.b20 === null ? this.t20.slice(start, end) : this.b20.toString('utf8', start, end);
  }
}

/** A row reader for any layout of the `events` columns (a schema other than the recorder's own): cell by cell. */
export class AnyRowReader {
  private columns: readonly Column[] = [];

  set(block: ColumnBlock): void {
    this.columns = block.columns;
  }

  event(i: number): TraceEvent {
    const c = this.columns;
    const n = (k: number): number | null => intAt(c[k] as IntColumn, i);
    const t = (k: number): string | null => textAt(c[k] as DictColumn | Utf8Column, i);
    return {
      seq: n(0), timeNs: n(1), cpu: n(2), irql: n(3), kind: t(4), activation: n(5), routine: t(6), driver: t(7), device: t(8),
      irp: n(9), master: n(10), major: t(11), loc: n(12), status: n(13), newIrql: n(14), dpc: t(15), lock: t(16), vector: n(17),
      result: n(18), api: t(19), detail: t(20), thread: n(21), hash: t(22),
    } as TraceEvent;
  }

  fill(e: MutableEvent, i: number): void {
    Object.assign(e, this.event(i));
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
