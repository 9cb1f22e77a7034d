import { Data, makeData, RecordBatch, Struct, Utf8, Vector, type Dictionary, type Int16, type Int32, type Int64, type Schema } from 'apache-arrow';
import { INT_COLUMNS, TEXT_COLUMNS, HASH_LENGTH, type ColumnarBatch } from './columnar.js';
import { ARROW_INT_WIDTH } from './arrow-schema.js';

/** Thrown by the builder when a value does not fit its column; the sink adds the path. */
export class ArrowValueError extends Error {
  constructor(readonly column: string, readonly seq: number, readonly value: number) {
    super(`column ${column} cannot hold ${value}`);
  }
}

const TWO_32 = 4294967296;
const DETAIL = TEXT_COLUMNS.indexOf('detail');
const encoder = new TextEncoder();

/**
 * Builds record batches from ColumnarBatch, zero-copy where the layouts agree (performance-notes
 * §2.1: typed arrays plus makeData). Keeps each dictionary column's dictionary as a list of chunks:
 * a batch that introduces strings appends a chunk, which the stream writer sends as a delta
 * dictionary batch; a restarted dictionary starts a new list, sent as a replacement.
 */
export class ArrowBatchBuilder {
  private readonly type: Struct;
  private readonly chunks: Data<Utf8>[][] = TEXT_COLUMNS.map(() => []);
  private dictionaries: (Vector<Utf8> | null)[] = TEXT_COLUMNS.map(() => null);
  /** UTF-8 of each `detail` string, by code. */
  private detailBytes: Uint8Array[] = [];
  private hashOffsets = new Int32Array(0);

  constructor(private readonly schema: Schema) {
    this.type = new Struct(schema.fields);
  }

  build(batch: ColumnarBatch, metadata?: Map<string, string>): RecordBatch {
    this.learn(batch);
    const n = batch.length;
    const seq0 = n > 0 ? batch.ints[0]! : 0;
    const children: Data[] = [];
    for (const field of this.schema.fields) {
      const name = field.name;
      const intIndex = (INT_COLUMNS as readonly string[]).indexOf(name);
      if (intIndex >= 0) {
        const width = ARROW_INT_WIDTH[name as (typeof INT_COLUMNS)[number]];
        children.push(width === 64
          ? int64(field.type as Int64, batch.ints, intIndex * n, n, name, seq0)
          : int32(field.type as Int32, batch.ints, intIndex * n, n, name, seq0));
      } else if (name === 'hash') {
        children.push(this.hashes(batch));
      } else if (name === 'detail') {
        children.push(this.detail(batch));
      } else {
        const c = (TEXT_COLUMNS as readonly string[]).indexOf(name);
        children.push(dictionary(field.type as Dictionary<Utf8, Int16>, batch.codes, c * n, n, this.dictionaries[c]!));
      }
    }
    const data = makeData({ type: this.type, length: n, nullCount: 0, children });
    return new RecordBatch(this.schema, data, metadata);
  }

  /** Extends (or restarts) the dictionaries with the strings the batch introduced. */
  private learn(batch: ColumnarBatch): void {
    for (let c = 0; c < TEXT_COLUMNS.length; c++) {
      const added = batch.added[c]!;
      const restart = (batch.resets & (1 << c)) !== 0;
      if (c === DETAIL) {
        if (restart) this.detailBytes = [];
        for (const s of added) this.detailBytes.push(encoder.encode(s));
        continue;
      }
      if (restart) this.chunks[c] = [];
      const chunks = this.chunks[c]!;
      // The first chunk is written even when empty: a dictionary must precede the batches using it.
      if (added.length > 0 || chunks.length === 0) {
        chunks.push(utf8(added));
        this.dictionaries[c] = new Vector(chunks.slice());
      }
    }
  }

  private detail(batch: ColumnarBatch): Data<Utf8> {
    const n = batch.length;
    const base = DETAIL * n;
    const codes = batch.codes;
    const offsets = new Int32Array(n + 1);
    let bitmap: Uint8Array | undefined;
    let nulls = 0;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const code = codes[base + i]!;
      if (code < 0) {
        bitmap ??= allValid(n);
        bitmap[i >> 3]! &= ~(1 << (i & 7));
        nulls++;
      } else {
        total += this.detailBytes[code]!.length;
      }
      offsets[i + 1] = total;
    }
    const bytes = new Uint8Array(total);
    for (let i = 0; i < n; i++) {
      const code = codes[base + i]!;
      if (code >= 0) bytes.set(this.detailBytes[code]!, offsets[i]!);
    }
    return makeData({ type: new Utf8(), length: n, nullCount: nulls, ...(bitmap ? { nullBitmap: bitmap } : {}), valueOffsets: offsets, data: bytes });
  }

  private hashes(batch: ColumnarBatch): Data<Utf8> {
    const n = batch.length;
    if (this.hashOffsets.length < n + 1) {
      this.hashOffsets = Int32Array.from({ length: n + 1 }, (_, i) => i * HASH_LENGTH);
    }
    const bytes = Buffer.from(batch.hashes, 'latin1');
    return makeData({ type: new Utf8(), length: n, nullCount: 0, valueOffsets: this.hashOffsets.subarray(0, n + 1), data: bytes });
  }
}

function utf8(strings: readonly string[]): Data<Utf8> {
  const encoded = strings.map((s) => encoder.encode(s));
  const offsets = new Int32Array(strings.length + 1);
  for (let i = 0; i < encoded.length; i++) offsets[i + 1] = offsets[i]! + encoded[i]!.length;
  const bytes = new Uint8Array(offsets[strings.length]!);
  for (let i = 0; i < encoded.length; i++) bytes.set(encoded[i]!, offsets[i]!);
  return makeData({ type: new Utf8(), length: strings.length, nullCount: 0, valueOffsets: offsets, data: bytes });
}

function allValid(n: number): Uint8Array {
  return new Uint8Array((n + 7) >> 3).fill(0xff);
}

/** An Int64 column from float64 values (NaN: NULL), written as two 32-bit words without BigInt. */
function int64(type: Int64, src: Float64Array, base: number, n: number, column: string, seq0: number): Data<Int64> {
  const words = new Int32Array(2 * n);
  let bitmap: Uint8Array | undefined;
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const v = src[base + i]!;
    if (v !== v) {
      bitmap ??= allValid(n);
      bitmap[i >> 3]! &= ~(1 << (i & 7));
      nulls++;
      continue;
    }
    if (!Number.isSafeInteger(v)) throw new ArrowValueError(column, seq0 + i, v);
    const hi = Math.floor(v / TWO_32);
    words[2 * i] = (v - hi * TWO_32) | 0;
    words[2 * i + 1] = hi | 0;
  }
  return makeData({ type, length: n, nullCount: nulls, ...(bitmap ? { nullBitmap: bitmap } : {}), data: new BigInt64Array(words.buffer) });
}

function int32(type: Int32, src: Float64Array, base: number, n: number, column: string, seq0: number): Data<Int32> {
  const values = new Int32Array(n);
  let bitmap: Uint8Array | undefined;
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const v = src[base + i]!;
    if (v !== v) {
      bitmap ??= allValid(n);
      bitmap[i >> 3]! &= ~(1 << (i & 7));
      nulls++;
      continue;
    }
    if ((v | 0) !== v) throw new ArrowValueError(column, seq0 + i, v);
    values[i] = v;
  }
  return makeData({ type, length: n, nullCount: nulls, ...(bitmap ? { nullBitmap: bitmap } : {}), data: values });
}

/** Dictionary indices from the codes (NULL slots get index 0, which readers never look at). */
function dictionary(type: Dictionary<Utf8, Int16>, codes: Int16Array, base: number, n: number, dict: Vector<Utf8>): Data<Dictionary<Utf8, Int16>> {
  const indices = new Int16Array(n);
  let bitmap: Uint8Array | undefined;
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const code = codes[base + i]!;
    if (code < 0) {
      bitmap ??= allValid(n);
      bitmap[i >> 3]! &= ~(1 << (i & 7));
      nulls++;
    } else {
      indices[i] = code;
    }
  }
  return makeData({ type, length: n, nullCount: nulls, ...(bitmap ? { nullBitmap: bitmap } : {}), data: indices, dictionary: dict });
}
