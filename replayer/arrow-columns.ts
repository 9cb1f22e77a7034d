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

/** A plain UTF-8 column. */
export interface Utf8Column {
  readonly type: 'utf8';
  readonly offsets: Int32Array;
  readonly bytes: Buffer;
  /** Whether the data buffer is plain ASCII (code units = bytes). */
  readonly ascii: boolean;
  /** The whole data buffer decoded once when it is ASCII (latin1 decoding is then exact); null otherwise. */
  readonly text: string | null;
  readonly valid: Uint8Array | null;
}

/**
 * A Utf8Column whose ASCII scan and decoding are done on first use: a fold reads the `detail` of a
 * few kinds only and never the `hash`, and the chain check digests bytes. Views over the batch
 * body, like the other columns: used while the batch is.
 */
export class Utf8Cells implements Utf8Column {
  readonly type = 'utf8' as const;
  private scanned = -1;
  private decoded: string | null | undefined = undefined;

  constructor(readonly offsets: Int32Array, readonly bytes: Buffer, readonly valid: Uint8Array | null) {}

  get ascii(): boolean {
    if (this.scanned < 0) this.scanned = isAscii(this.bytes) ? 1 : 0;
    return this.scanned === 1;
  }

  get text(): string | null {
    if (this.decoded === undefined) this.decoded = this.ascii ? this.bytes.toString('latin1') : null;
    return this.decoded;
  }
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
  const text = c.text;
  return text !== null ? text.slice(start, end) : c.bytes.toString('utf8', start, end);
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

const NO_WORDS: Int32Array = new Int32Array(0);
const NO_CODES: Int16Array = new Int16Array(0);
/** A dictionary with no string yet: one string, so that index 0 (what a NULL cell is read as) is always in bounds. */
const NO_STRINGS: readonly string[] = [''];
let ONES: Uint8Array = new Uint8Array(512).fill(0xff);
const NO_TEXT: Utf8Column = new Utf8Cells(new Int32Array(1), Buffer.alloc(0), null);

/** A validity bitmap of `rows` rows all valid (shared, grown as needed; never written but by this function). */
export function allValid(rows: number): Uint8Array {
  const bytes = (rows + 7) >> 3;
  if (ONES.length < bytes) ONES = new Uint8Array(Math.max(bytes, 2 * ONES.length)).fill(0xff);
  return ONES;
}

/**
 * Reads rows of a record batch laid out as ROW_LAYOUT: each column's typed arrays are held in a
 * field of their own (one shape, no per-cell dispatch), integers are read from 32-bit words (small
 * integers stay small integers, no boxed doubles), strings come from the dictionaries or one
 * latin1 decoding of the batch's `detail` and `hash` bytes. `set(block)` once per batch, then:
 *
 * - `event(i)` builds row `i` as a new (unfrozen) event, without a branch per cell: which columns
 *   are NULL varies from row to row in no pattern a CPU predicts, and a mispredicted
 *   `valid ? value : null` per nullable column cost more than the rest of the row. Every cell is
 *   read (a NULL dictionary cell as index 0) into slot 1 of a two-slot array whose slot 0 is null,
 *   and the field takes the slot its validity bit names (a column without NULLs in the batch gets
 *   an all-ones bitmap).
 * - `at(i)` makes the reader itself row `i` as an event (`view`): every field is a getter that
 *   reads its cell when asked. The fold reads a handful of fields per event (`reduce` switches on
 *   the kind and reads what that kind needs), so it skips most cells; V8 inlines these small
 *   getters into `reduce`, where each NULL test sits in the code of one kind and is predictable.
 *   About 25% off the whole fold against filling a flyweight event with all 22 columns.
 */
export class RowReader {
  /** The row `at` points to. */
  private i = 0;
  seq = 0;
  timeNs = 0;
  cpu: number | null = null;
  irql: number | null = null;
  kind = '';
  irp: number | null = null;
  /** The select of `event`: [null, the cell's value]. */
  private readonly pick: unknown[] = [null, null];
  private w0 = NO_WORDS; private w1 = NO_WORDS;
  private w2 = NO_WORDS; private v2 = ONES; private w3 = NO_WORDS; private v3 = ONES;
  private k4 = NO_CODES; private s4 = NO_STRINGS;
  private w5 = NO_WORDS; private v5 = ONES;
  private k6 = NO_CODES; private s6 = NO_STRINGS; private v6 = ONES;
  private k7 = NO_CODES; private s7 = NO_STRINGS; private v7 = ONES;
  private k8 = NO_CODES; private s8 = NO_STRINGS; private v8 = ONES;
  private w9 = NO_WORDS; private v9 = ONES; private w10 = NO_WORDS; private v10 = ONES;
  private k11 = NO_CODES; private s11 = NO_STRINGS; private v11 = ONES;
  private w12 = NO_WORDS; private v12 = ONES; private w13 = NO_WORDS; private v13 = ONES; private w14 = NO_WORDS; private v14 = ONES;
  private k15 = NO_CODES; private s15 = NO_STRINGS; private v15 = ONES;
  private k16 = NO_CODES; private s16 = NO_STRINGS; private v16 = ONES;
  private w17 = NO_WORDS; private v17 = ONES; private w18 = NO_WORDS; private v18 = ONES;
  private k19 = NO_CODES; private s19 = NO_STRINGS; private v19 = ONES;
  private c20: Utf8Column = NO_TEXT; private v20 = ONES;
  private w21 = NO_WORDS; private v21 = ONES;
  private c22: Utf8Column = NO_TEXT;

  /** Whether a batch's columns are laid out as this reader expects. */
  static fits(block: ColumnBlock): boolean {
    return block.columns.length === ROW_LAYOUT.length && block.columns.every((c, i) => {
      const want = ROW_LAYOUT[i];
      return c.type === 'int' ? want === (c.wide ? 'int64' : 'int32') : c.type === want;
    });
  }

  set(block: ColumnBlock): void {
    const c = block.columns;
    const ones = allValid(block.length);
    const int = (i: number): IntColumn => c[i] as IntColumn;
    const dict = (i: number): readonly string[] => {
      const strings = (c[i] as DictColumn).strings;
      return strings.length === 0 ? NO_STRINGS : strings;
    };
    const codes = (i: number): Int16Array => (c[i] as DictColumn).indices;
    const valid = (i: number): Uint8Array => c[i]!.valid ?? ones;
    this.w0 = int(0).words; this.w1 = int(1).words;
    this.w2 = int(2).words; this.v2 = valid(2); this.w3 = int(3).words; this.v3 = valid(3);
    this.k4 = codes(4); this.s4 = dict(4);
    this.w5 = int(5).words; this.v5 = valid(5);
    this.k6 = codes(6); this.s6 = dict(6); this.v6 = valid(6);
    this.k7 = codes(7); this.s7 = dict(7); this.v7 = valid(7);
    this.k8 = codes(8); this.s8 = dict(8); this.v8 = valid(8);
    this.w9 = int(9).words; this.v9 = valid(9); this.w10 = int(10).words; this.v10 = valid(10);
    this.k11 = codes(11); this.s11 = dict(11); this.v11 = valid(11);
    this.w12 = int(12).words; this.v12 = valid(12); this.w13 = int(13).words; this.v13 = valid(13); this.w14 = int(14).words; this.v14 = valid(14);
    this.k15 = codes(15); this.s15 = dict(15); this.v15 = valid(15);
    this.k16 = codes(16); this.s16 = dict(16); this.v16 = valid(16);
    this.w17 = int(17).words; this.v17 = valid(17); this.w18 = int(18).words; this.v18 = valid(18);
    this.k19 = codes(19); this.s19 = dict(19); this.v19 = valid(19);
    this.c20 = c[20] as Utf8Column; this.v20 = valid(20);
    this.w21 = int(21).words; this.v21 = valid(21);
    this.c22 = c[22] as Utf8Column;
  }

  /** Row `i` as a new event. */
  event(i: number): TraceEvent {
    // Written out column by column (no helper calls): V8 stops inlining helpers in a method this long.
    // b: the cell's validity bit; S[1] = the cell, read regardless; the field takes S[b].
    const S = this.pick;
    const byte = i >> 3;
    const bit = i & 7;
    let h: number;
    let b: number;
    const seq = (h = this.w0[2 * i + 1]!) === 0 ? this.w0[2 * i]! >>> 0 : h * TWO_32 + (this.w0[2 * i]! >>> 0);
    const timeNs = (h = this.w1[2 * i + 1]!) === 0 ? this.w1[2 * i]! >>> 0 : h * TWO_32 + (this.w1[2 * i]! >>> 0);
    b = (this.v2[byte]! >> bit) & 1; S[1] = this.w2[i]!; const cpu = S[b];
    b = (this.v3[byte]! >> bit) & 1; S[1] = this.w3[i]!; const irql = S[b];
    const kind = this.s4[this.k4[i]!]!;
    b = (this.v5[byte]! >> bit) & 1; S[1] = (h = this.w5[2 * i + 1]!) === 0 ? this.w5[2 * i]! >>> 0 : h * TWO_32 + (this.w5[2 * i]! >>> 0); const activation = S[b];
    b = (this.v6[byte]! >> bit) & 1; S[1] = this.s6[this.k6[i]! & -b]; const routine = S[b];
    b = (this.v7[byte]! >> bit) & 1; S[1] = this.s7[this.k7[i]! & -b]; const driver = S[b];
    b = (this.v8[byte]! >> bit) & 1; S[1] = this.s8[this.k8[i]! & -b]; const device = S[b];
    b = (this.v9[byte]! >> bit) & 1; S[1] = (h = this.w9[2 * i + 1]!) === 0 ? this.w9[2 * i]! >>> 0 : h * TWO_32 + (this.w9[2 * i]! >>> 0); const irp = S[b];
    b = (this.v10[byte]! >> bit) & 1; S[1] = (h = this.w10[2 * i + 1]!) === 0 ? this.w10[2 * i]! >>> 0 : h * TWO_32 + (this.w10[2 * i]! >>> 0); const master = S[b];
    b = (this.v11[byte]! >> bit) & 1; S[1] = this.s11[this.k11[i]! & -b]; const major = S[b];
    b = (this.v12[byte]! >> bit) & 1; S[1] = this.w12[i]!; const loc = S[b];
    b = (this.v13[byte]! >> bit) & 1; S[1] = (h = this.w13[2 * i + 1]!) === 0 ? this.w13[2 * i]! >>> 0 : h * TWO_32 + (this.w13[2 * i]! >>> 0); const status = S[b];
    b = (this.v14[byte]! >> bit) & 1; S[1] = this.w14[i]!; const newIrql = S[b];
    b = (this.v15[byte]! >> bit) & 1; S[1] = this.s15[this.k15[i]! & -b]; const dpc = S[b];
    b = (this.v16[byte]! >> bit) & 1; S[1] = this.s16[this.k16[i]! & -b]; const lock = S[b];
    b = (this.v17[byte]! >> bit) & 1; S[1] = this.w17[i]!; const vector = S[b];
    b = (this.v18[byte]! >> bit) & 1; S[1] = (h = this.w18[2 * i + 1]!) === 0 ? this.w18[2 * i]! >>> 0 : h * TWO_32 + (this.w18[2 * i]! >>> 0); const result = S[b];
    b = (this.v19[byte]! >> bit) & 1; S[1] = this.s19[this.k19[i]! & -b]; const api = S[b];
    // A NULL detail's offsets are equal as the recorder writes them: the slice is '' and costs nothing.
    b = (this.v20[byte]! >> bit) & 1; S[1] = this.cell20(i); const detail = S[b];
    b = (this.v21[byte]! >> bit) & 1; S[1] = this.w21[i]!; const thread = S[b];
    S[1] = null;
    const hash = this.cell22(i);
    return {
      seq, timeNs, cpu, irql, kind, activation, routine, driver, device, irp, master, major, loc, status, newIrql, dpc, lock, vector,
      result, api, detail, thread, hash,
    } as TraceEvent;
  }

  /** Points the view at row `i` of the batch set last. */
  at(i: number): this {
    this.i = i;
    // The fields `reduce` reads of every event, read now into plain fields; the rest on demand.
    let h = this.w0[2 * i + 1]!;
    this.seq = h === 0 ? this.w0[2 * i]! >>> 0 : h * TWO_32 + (this.w0[2 * i]! >>> 0);
    h = this.w1[2 * i + 1]!;
    this.timeNs = h === 0 ? this.w1[2 * i]! >>> 0 : h * TWO_32 + (this.w1[2 * i]! >>> 0);
    this.cpu = ((this.v2[i >> 3]! >> (i & 7)) & 1) === 1 ? this.w2[i]! : null;
    this.irql = ((this.v3[i >> 3]! >> (i & 7)) & 1) === 1 ? this.w3[i]! : null;
    this.kind = this.s4[this.k4[i]!]!;
    this.irp = ((this.v9[i >> 3]! >> (i & 7)) & 1) === 1 ? int64(this.w9, i) : null;
    return this;
  }

  /** This reader as the event of the row `at` points to: only valid until the next `at` or `set`. */
  get view(): TraceEvent {
    return this as unknown as TraceEvent;
  }

  // The getters of `view`, one per column (no helper calls: each stays small enough to be inlined).
  get activation(): number | null { const i = this.i; return ((this.v5[i >> 3]! >> (i & 7)) & 1) === 1 ? int64(this.w5, i) : null; }
  get routine(): string | null { const i = this.i; return ((this.v6[i >> 3]! >> (i & 7)) & 1) === 1 ? this.s6[this.k6[i]!]! : null; }
  get driver(): string | null { const i = this.i; return ((this.v7[i >> 3]! >> (i & 7)) & 1) === 1 ? this.s7[this.k7[i]!]! : null; }
  get device(): string | null { const i = this.i; return ((this.v8[i >> 3]! >> (i & 7)) & 1) === 1 ? this.s8[this.k8[i]!]! : null; }
  get master(): number | null { const i = this.i; return ((this.v10[i >> 3]! >> (i & 7)) & 1) === 1 ? int64(this.w10, i) : null; }
  get major(): string | null { const i = this.i; return ((this.v11[i >> 3]! >> (i & 7)) & 1) === 1 ? this.s11[this.k11[i]!]! : null; }
  get loc(): number | null { const i = this.i; return ((this.v12[i >> 3]! >> (i & 7)) & 1) === 1 ? this.w12[i]! : null; }
  get status(): number | null { const i = this.i; return ((this.v13[i >> 3]! >> (i & 7)) & 1) === 1 ? int64(this.w13, i) : null; }
  get newIrql(): number | null { const i = this.i; return ((this.v14[i >> 3]! >> (i & 7)) & 1) === 1 ? this.w14[i]! : null; }
  get dpc(): string | null { const i = this.i; return ((this.v15[i >> 3]! >> (i & 7)) & 1) === 1 ? this.s15[this.k15[i]!]! : null; }
  get lock(): string | null { const i = this.i; return ((this.v16[i >> 3]! >> (i & 7)) & 1) === 1 ? this.s16[this.k16[i]!]! : null; }
  get vector(): number | null { const i = this.i; return ((this.v17[i >> 3]! >> (i & 7)) & 1) === 1 ? this.w17[i]! : null; }
  get result(): number | null { const i = this.i; return ((this.v18[i >> 3]! >> (i & 7)) & 1) === 1 ? int64(this.w18, i) : null; }
  get api(): string | null { const i = this.i; return ((this.v19[i >> 3]! >> (i & 7)) & 1) === 1 ? this.s19[this.k19[i]!]! : null; }
  get detail(): string | null { const i = this.i; return ((this.v20[i >> 3]! >> (i & 7)) & 1) === 1 ? this.cell20(i) : null; }
  get thread(): number | null { const i = this.i; return ((this.v21[i >> 3]! >> (i & 7)) & 1) === 1 ? this.w21[i]! : null; }
  get hash(): string { return this.cell22(this.i); }

  private cell20(i: number): string {
    const c = this.c20;
    const text = c.text;
    return text !== null ? text.slice(c.offsets[i]!, c.offsets[i + 1]!) : c.bytes.toString('utf8', c.offsets[i]!, c.offsets[i + 1]!);
  }

  private cell22(i: number): string {
    const c = this.c22;
    const text = c.text;
    return text !== null ? text.slice(c.offsets[i]!, c.offsets[i + 1]!) : c.bytes.toString('utf8', c.offsets[i]!, c.offsets[i + 1]!);
  }
}

/** Row `i` of a 64-bit column as a number (every value irptrace writes is below 2^53). */
function int64(words: Int32Array, i: number): number {
  const h = words[2 * i + 1]!;
  return h === 0 ? words[2 * i]! >>> 0 : h * TWO_32 + (words[2 * i]! >>> 0);
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
