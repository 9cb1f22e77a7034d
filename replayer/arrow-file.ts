import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { Message, Type, type Dictionary, type Field, type Int, type Schema } from 'apache-arrow';
import { reduce, type EndReason, type MachineState, type TraceEvent } from '../model/index.js';
import {
  ARROW_METADATA_KEYS as META, EVENT_TABLE_COLUMNS, RecorderError, sessionFromSchema, TraceFormatError, TraceNotFoundError,
  type SessionEnd, type SessionFacts,
} from '../recorder/index.js';
import { AnyRowReader, blankEvent, intAt, isValid, ROW_LAYOUT, RowReader, textAt, type ColumnBlock } from './arrow-columns.js';
import type { ChainPoint } from './chain.js';
import { decodeBatch, epochOf, lastRowPoint, type BatchEntry, type DictionaryEpoch, type FieldLayout } from './arrow-batch.js';
import { chainThread, toChainThread } from './chain-pool.js';
import { BUSY, CLAIMED_BY_MAIN, CLAIMED_BY_WORKER, DONE, FAILED, FREE, HEADER, NEXT } from './chain-protocol.js';
import { pointAt, verifyColumns } from './column-chain.js';
import { ReplayError, TraceChainError, TraceCorruptError, TraceTruncatedError } from './errors.js';
import type { EventFilter } from './filter.js';
import type { TraceFile, TraceFingerprint } from './trace-file.js';

const CONTINUATION = -1;

/** Batches after the first a chain-checked fold must cover to hand their check to the chain thread (chain-pool.ts). */
const CHAIN_THREAD_BATCHES = 16;
let nextThreadId = 1;

/** A chain check handed to the chain thread: batches `first + 1` … `first + count`, the last up to row `lastStop`. */
interface ThreadJob {
  readonly control: Int32Array;
  readonly first: number;
  readonly count: number;
  readonly lastStop: number;
}

/**
 * An Arrow IPC stream trace (recorder/arrow-sink.ts), read synchronously with random access by
 * record batch. Opening walks the stream's message headers once (bodies are skipped, except the
 * small dictionary batches) and keeps where each record batch lies; a batch is then read with one
 * `read` and decoded as typed-array views (arrow-columns.ts) — no Arrow reader objects per batch.
 *
 * A stream that ends at a message boundary without the trailer batch is an unfinished recording,
 * readable, with `end` null; one that ends inside a message (killed mid-write) reads the same up to
 * its last whole message, and says where it was cut (`truncatedAt`).
 */
export class ArrowTraceFile implements TraceFile {
  readonly format = 'arrow' as const;
  private cache: { index: number; block: ColumnBlock } | null = null;
  /**
   * Two body buffers used in turn: a batch's column views stay valid while the next batch is
   * decoded (the cache keeps the last one), and seeks allocate nothing (fewer GC pauses).
   */
  private readonly bodies: Buffer[] = [Buffer.alloc(0), Buffer.alloc(0)];
  private turn = 0;
  /** The body buffer of batches checked ahead while the chain thread is busy (`checked`). */
  private spare = Buffer.alloc(0);
  /** This trace's id in the chain thread, once its index has been sent there. */
  private threadId: number | null = null;
  /** Chain checks handed to the thread and not yet ended (a stream abandoned mid-way ends its own at close). */
  private readonly jobs = new Set<ThreadJob>();
  /** The recorder's own layout gets the fast row reader; any other, the cell-by-cell one. */
  private readonly rows: RowReader | AnyRowReader;

  private constructor(
    readonly path: string,
    private readonly fd: number,
    readonly facts: SessionFacts,
    readonly end: SessionEnd | null,
    private readonly layouts: readonly FieldLayout[],
    private readonly batches: readonly BatchEntry[],
    private readonly dictionaries: ReadonlyMap<number, readonly DictionaryEpoch[]>,
    readonly count: number,
    readonly truncatedAt: number | null,
    private identity: TraceFingerprint,
  ) {
    this.rows = layouts.every((l, i) => l.kind === ROW_LAYOUT[i]) ? new RowReader() : new AnyRowReader();
  }

  get fingerprint(): TraceFingerprint {
    return this.identity;
  }

  static open(path: string): ArrowTraceFile {
    if (!existsSync(path)) throw new TraceNotFoundError(path);
    const fd = openSync(path, 'r');
    try {
      return damaged(path, 'its Arrow messages are unreadable', () => ArrowTraceFile.index(path, fd));
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  private static index(path: string, fd: number): ArrowTraceFile {
    const stat = fstatSync(fd);
    const size = stat.size;
    const head = Buffer.alloc(8);
    let pos = 0;
    let position = 0;
    let schema: Schema | null = null;
    let layouts: FieldLayout[] = [];
    let end: SessionEnd | null = null;
    let count = 0;
    const batches: BatchEntry[] = [];
    const dictionaries = new Map<number, DictionaryEpoch[]>();
    /** Where the stream ends inside a message (a recording killed mid-write), or null. */
    let truncatedAt: number | null = null;
    while (pos < size) {
      // Cut inside a message: read up to the last whole one, as the recorder's readers do. Only
      // after the schema: the recorder renames the file into place with its schema whole.
      const whole = (needed: number): boolean => {
        if (needed <= size) return true;
        // No whole schema: a stream cut inside it (it starts with a continuation marker), or no
        // Arrow stream at all (an Arrow *file*, 'ARROW1…', or anything else).
        if (schema === null) throw head.readInt32LE(0) === CONTINUATION ? new TraceTruncatedError(path, pos) : new TraceFormatError(path, 'not an Arrow IPC stream');
        // After the trailer batch only the end-of-stream marker is left: nothing is missing.
        if (end === null) truncatedAt = pos;
        return false;
      };
      if (!whole(pos + 4)) break;
      readSync(fd, head, 0, Math.min(8, size - pos), pos);
      let prefix = 4;
      let metaLength = head.readInt32LE(0);
      if (metaLength === CONTINUATION) {
        if (!whole(pos + 8)) break;
        metaLength = head.readInt32LE(4);
        prefix = 8;
      }
      if (metaLength === 0) break; // end-of-stream marker
      if (metaLength < 0) throw new TraceCorruptError(path, `bad message length at byte ${pos}`);
      if (!whole(pos + prefix + metaLength)) break;
      const meta = Buffer.alloc(metaLength);
      readSync(fd, meta, 0, metaLength, pos + prefix);
      let message: Message;
      try {
        message = Message.decode(meta);
      } catch (error) {
        if (schema === null) throw new TraceFormatError(path, 'not an Arrow IPC stream', error);
        throw new TraceCorruptError(path, `unreadable message metadata at byte ${pos}`, error);
      }
      const bodyAt = pos + prefix + metaLength;
      const bodyLength = message.bodyLength;
      if (!Number.isSafeInteger(bodyLength) || bodyLength < 0) throw new TraceCorruptError(path, `bad body length at byte ${pos}`);
      if (!whole(bodyAt + bodyLength)) break;
      if (schema === null) {
        if (!message.isSchema()) throw new TraceFormatError(path, 'its Arrow stream does not start with a schema');
        schema = message.header();
        layouts = fieldLayouts(path, schema);
      } else if (message.isDictionaryBatch()) {
        const header = message.header();
        const strings = readStrings(fd, bodyAt, header.data.nodes[0]?.length ?? 0, header.data.buffers);
        const epochs = dictionaries.get(header.id) ?? [];
        const last = epochs[epochs.length - 1];
        if (header.isDelta && last !== undefined) for (const s of strings) last.strings.push(s);
        else epochs.push({ position, strings, digests: [] });
        dictionaries.set(header.id, epochs);
      } else if (message.isRecordBatch()) {
        const header = message.header();
        if (header.compression !== null) throw new TraceFormatError(path, 'its record batches are compressed, which irptrace does not write');
        const metadata = message.metadata;
        if (header.length === 0 && metadata.has(META.endReason)) {
          end = Object.freeze({
            endedAt: metadata.get(META.endedAt) ?? '', endReason: metadata.get(META.endReason) as EndReason,
            eventCount: Number(metadata.get(META.eventCount)), finalHash: metadata.get(META.finalHash) ?? '',
          });
        } else if (header.length > 0) {
          if (header.nodes.length !== layouts.length) throw new TraceCorruptError(path, `a record batch at byte ${pos} has ${header.nodes.length} columns, not ${layouts.length}`);
          batches.push({ first: count, rows: header.length, body: bodyAt, bodyLength, nodes: header.nodes, buffers: header.buffers, position });
          count += header.length;
        }
      }
      pos = bodyAt + bodyLength;
      position++;
    }
    if (schema === null) throw new TraceFormatError(path, 'not an Arrow IPC stream');
    const facts = sessionFromSchema(path, schema);
    const file = new ArrowTraceFile(path, fd, facts, end, layouts, batches, dictionaries, count, truncatedAt, {
      format: 'arrow', size, mtimeMs: stat.mtimeMs, sessionId: facts.id, events: count, lastHash: '',
    });
    if (count > 0) file.identity = { ...file.identity, lastHash: file.read(count - 1, count - 1)[0]!.hash };
    return file;
  }

  read(from: number, to: number): TraceEvent[] {
    const out: TraceEvent[] = [];
    for (const block of this.blocks(from, to)) for (const e of block) out.push(e);
    return out;
  }

  *blocks(from = 0, to = this.count - 1, chain: ChainPoint | null = null): Generator<TraceEvent[]> {
    let point = chain;
    const job = point !== null ? this.chainJob(from, to) : null;
    try {
      let j = 0;
      for (const { block, start, stop } of this.ranges(from, to)) {
        let end = stop;
        let failure: TraceChainError | null = null;
        if (point !== null) {
          try {
            point = this.check(job, j, block, start, stop, point);
          } catch (error) {
            if (!(error instanceof TraceChainError)) throw error;
            failure = error;
            end = Math.max(start, Math.min(stop, error.seq - block.first));
          }
        }
        j++;
        const rows = this.rows;
        rows.set(block);
        const out = new Array<TraceEvent>(end - start);
        for (let k = 0; k < out.length; k++) out[k] = rows.event(start + k);
        if (out.length > 0) yield out;
        if (failure !== null) throw failure;
      }
    } finally {
      if (job !== null) this.endJob(job);
    }
  }

  fold(state: MachineState, from: number, to: number, chain: ChainPoint | null, visit?: (e: TraceEvent) => void): ChainPoint | null {
    let point = chain;
    const rows = this.rows;
    if (rows instanceof AnyRowReader) {
      const e = blankEvent();
      for (const { block, start, stop } of this.ranges(from, to)) {
        if (point !== null) point = verifyColumns(this.path, block, start, stop, point);
        rows.set(block);
        for (let i = start; i < stop; i++) {
          rows.fill(e, i);
          reduce(state, e as TraceEvent);
          visit?.(e as TraceEvent);
        }
      }
      return point;
    }
    // The chain check of all batches but the first on the other thread, when the range is long.
    const job = point !== null ? this.chainJob(from, to) : null;
    // The reader itself is the event, its fields read on demand (arrow-columns.ts).
    const e = rows.view;
    try {
      let j = 0;
      for (const { block, start, stop } of this.ranges(from, to)) {
        if (point !== null) {
          point = this.check(job, j, block, start, stop, point);
        }
        j++;
        rows.set(block);
        if (visit === undefined) {
          for (let i = start; i < stop; i++) reduce(state, rows.at(i).view);
        } else {
          for (let i = start; i < stop; i++) {
            rows.at(i);
            reduce(state, e);
            visit(e);
          }
        }
      }
    } finally {
      if (job !== null) this.endJob(job);
    }
    return point;
  }

  /** Checks the chain over rows `start`…`stop - 1` of the `j`th batch of a range (here, or by the chain thread for `job`). */
  private check(job: ThreadJob | null, j: number, block: ColumnBlock, start: number, stop: number, point: ChainPoint): ChainPoint {
    return job === null || j === 0 ? verifyColumns(this.path, block, start, stop, point) : this.checked(job, j - 1, block, stop, point);
  }

  /**
   * Hands the chain check of batches after the first of `from`…`to` to the chain thread
   * (chain-pool.ts) when they are at least CHAIN_THREAD_BATCHES; null: check them here.
   */
  private chainJob(from: number, to: number): ThreadJob | null {
    const last = Math.min(to, this.count - 1);
    if (last < from) return null;
    const first = this.batchOf(from);
    const count = this.batchOf(last) - first;
    if (count < CHAIN_THREAD_BATCHES) return null;
    if (this.threadId === null) {
      const id = nextThreadId++;
      if (!toChainThread({ op: 'open', trace: id, path: this.path, fd: this.fd, layouts: this.layouts, batches: this.batches, dictionaries: this.dictionaries })) return null;
      this.threadId = id;
    }
    const shared = new SharedArrayBuffer(4 * (HEADER + count));
    const control = new Int32Array(shared);
    control[BUSY] = 1;
    const lastStop = last - this.batches[first + count]!.first + 1;
    toChainThread({ op: 'job', trace: this.threadId, control: shared, first, count, lastStop });
    const job = { control, first, count, lastStop };
    this.jobs.add(job);
    return job;
  }

  /** Tells the thread to stop checking a job's batches. */
  private endJob(job: ThreadJob): void {
    Atomics.store(job.control, BUSY, 0);
    this.jobs.delete(job);
  }

  /**
   * Waits until batch `k` of a job (`block`, rows up to `stop`) is checked — by the thread, or
   * here: a batch the thread has not claimed, or failed on (to throw the exact error). While the
   * thread is on it, checks the next unclaimed batch here instead of waiting. Returns the point
   * after row `stop - 1` (`point`: the one before the batch).
   */
  private checked(job: ThreadJob, k: number, block: ColumnBlock, stop: number, point: ChainPoint): ChainPoint {
    const ctl = job.control;
    for (;;) {
      const state = Atomics.load(ctl, HEADER + k);
      if (state === DONE) return pointAt(block, stop - 1);
      if (state === FAILED || (state === FREE && Atomics.compareExchange(ctl, HEADER + k, FREE, CLAIMED_BY_MAIN) === FREE)) {
        const after = verifyColumns(this.path, block, 0, stop, point);
        Atomics.store(ctl, HEADER + k, DONE);
        return after;
      }
      if (state !== CLAIMED_BY_WORKER) continue;
      // The thread is on it: check another batch meanwhile, or wait.
      const other = Atomics.add(ctl, NEXT, 1);
      if (other < job.count && Atomics.compareExchange(ctl, HEADER + other, FREE, CLAIMED_BY_MAIN) === FREE) {
        const b = job.first + 1 + other;
        const entry = this.batches[b]!;
        if (this.spare.length < entry.bodyLength) this.spare = Buffer.allocUnsafeSlow(Math.max(entry.bodyLength, 1 << 20));
        const before = lastRowPoint(this.path, this.fd, this.batches[b - 1]!, this.layouts);
        const ahead = damaged(this.path, `record batch ${b} is unreadable`, () => decodeBatch(this.path, this.fd, b, entry, this.layouts, this.dictionaries, this.spare));
        let result = DONE;
        try {
          verifyColumns(this.path, ahead, 0, other === job.count - 1 ? job.lastStop : entry.rows, before);
        } catch {
          // Thrown in order, when the fold gets there.
          result = FAILED;
        }
        Atomics.store(ctl, HEADER + other, result);
      } else if (Atomics.wait(ctl, HEADER + k, CLAIMED_BY_WORKER, 1000) === 'timed-out' && chainThread() === null) {
        // The thread ended with the batch in hand.
        const after = verifyColumns(this.path, block, 0, stop, point);
        Atomics.store(ctl, HEADER + k, DONE);
        return after;
      }
    }
  }

  /** The record batches covering `from`…`to`, each with the row range inside it. */
  *ranges(from: number, to: number): Generator<{ readonly block: ColumnBlock; readonly start: number; readonly stop: number }> {
    const last = Math.min(to, this.count - 1);
    let seq = Math.max(0, from);
    while (seq <= last) {
      const b = this.batchOf(seq);
      const entry = this.batches[b]!;
      const stop = Math.min(entry.rows, last - entry.first + 1);
      const start = seq - entry.first;
      seq = entry.first + stop;
      yield { block: this.block(b), start, stop };
    }
  }

  find(filter: EventFilter, from: number, to: number, direction: 1 | -1): number | null {
    const lo = Math.max(0, from);
    const hi = Math.min(to, this.count - 1);
    if (lo > hi) return null;
    const first = this.batchOf(direction === 1 ? lo : hi);
    for (let b = first; b >= 0 && b < this.batches.length; b += direction) {
      const entry = this.batches[b]!;
      if (entry.first > hi || entry.first + entry.rows - 1 < lo) break;
      const test = this.tester(b, filter);
      if (test === null) continue;
      const start = Math.max(lo, entry.first) - entry.first;
      const stop = Math.min(hi, entry.first + entry.rows - 1) - entry.first;
      if (direction === 1) {
        for (let i = start; i <= stop; i++) if (test(i)) return entry.first + i;
      } else {
        for (let i = stop; i >= start; i--) if (test(i)) return entry.first + i;
      }
    }
    return null;
  }

  findAll(filter: EventFilter, from: number, to: number): number[] {
    const found: number[] = [];
    const lo = Math.max(0, from);
    const hi = Math.min(to, this.count - 1);
    if (lo > hi) return found;
    for (let b = this.batchOf(lo); b < this.batches.length; b++) {
      const entry = this.batches[b]!;
      if (entry.first > hi) break;
      const test = this.tester(b, filter);
      if (test === null) continue;
      const stop = Math.min(hi, entry.first + entry.rows - 1) - entry.first;
      for (let i = Math.max(lo, entry.first) - entry.first; i <= stop; i++) if (test(i)) found.push(entry.first + i);
    }
    return found;
  }

  close(): void {
    for (const job of [...this.jobs]) this.endJob(job);
    if (this.threadId !== null) toChainThread({ op: 'close', trace: this.threadId });
    closeSync(this.fd);
  }

  /** The record batch holding `seq`. */
  private batchOf(seq: number): number {
    const batches = this.batches;
    let lo = 0;
    let hi = batches.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (batches[mid]!.first <= seq) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** A row predicate over batch `b`'s columns; null when no row of the batch can match. */
  private tester(b: number, filter: EventFilter): ((i: number) => boolean) | null {
    const block = this.block(b);
    const tests: ((i: number) => boolean)[] = [];
    for (const clause of filter.clauses) {
      const index = EVENT_TABLE_COLUMNS.indexOf(clause.column);
      const column = block.columns[index]!;
      if (column.type === 'int') {
        const values = clause.values as number[];
        tests.push((i) => { const v = intAt(column, i); return v !== null && values.includes(v); });
      } else if (column.type === 'dict') {
        const epoch = this.epochOf(this.layouts[index]!.dictionaryId, this.batches[b]!.position);
        epoch.codes ??= new Map(epoch.strings.map((s, k) => [s, k]));
        const codes = (clause.values as string[]).map((v) => epoch.codes!.get(v)).filter((k): k is number => k !== undefined);
        if (codes.length === 0) return null;
        const { indices, valid } = column;
        tests.push(codes.length === 1
          ? ((code) => (i: number) => indices[i] === code && isValid(valid, i))(codes[0]!)
          : (i) => codes.includes(indices[i]!) && isValid(valid, i));
      } else {
        const values = clause.values as string[];
        tests.push((i) => { const v = textAt(column, i); return v !== null && values.includes(v); });
      }
    }
    if (tests.length === 1) return tests[0]!;
    return (i) => tests.every((t) => t(i));
  }

  private epochOf(id: number, position: number): DictionaryEpoch {
    return epochOf(this.path, this.dictionaries, id, position);
  }

  /** Batch `b` decoded as column views (the last one is kept: steps and seeks reuse it). */
  private block(b: number): ColumnBlock {
    if (this.cache !== null && this.cache.index === b) return this.cache.block;
    const block = damaged(this.path, `record batch ${b} is unreadable`, () => this.decodeBlock(b));
    this.cache = { index: b, block };
    return block;
  }

  private decodeBlock(b: number): ColumnBlock {
    const entry = this.batches[b]!;
    this.turn ^= 1;
    if (this.bodies[this.turn]!.length < entry.bodyLength) this.bodies[this.turn] = Buffer.allocUnsafeSlow(Math.max(entry.bodyLength, 1 << 20));
    return decodeBatch(this.path, this.fd, b, entry, this.layouts, this.dictionaries, this.bodies[this.turn]!);
  }
}

/** Runs a read; a failure that is not already one of the readers' errors means the bytes are damaged. */
function damaged<T>(path: string, what: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ReplayError || error instanceof RecorderError) throw error;
    throw new TraceCorruptError(path, `${what} (${error instanceof Error ? error.message : String(error)})`, error);
  }
}

/** The layout of each column, in `events` table order; anything irptrace does not write is refused. */
function fieldLayouts(path: string, schema: Schema): FieldLayout[] {
  const byName = new Map<string, Field>(schema.fields.map((f) => [f.name, f]));
  if (schema.fields.length !== EVENT_TABLE_COLUMNS.length || EVENT_TABLE_COLUMNS.some((name, i) => schema.fields[i]?.name !== name)) {
    const missing = EVENT_TABLE_COLUMNS.find((name) => !byName.has(name));
    throw new TraceFormatError(path, missing !== undefined ? `its Arrow schema has no column ${missing}` : 'its Arrow columns are not the events table\'s');
  }
  return schema.fields.map((field) => {
    const type = field.type;
    if (type.typeId === Type.Int && ((type as Int).bitWidth === 32 || (type as Int).bitWidth === 64)) {
      return { name: field.name, kind: (type as Int).bitWidth === 64 ? 'int64' : 'int32', dictionaryId: -1 };
    }
    if (type.typeId === Type.Utf8) return { name: field.name, kind: 'utf8', dictionaryId: -1 };
    if (type.typeId === Type.Dictionary) {
      const d = type as Dictionary;
      if (d.dictionary.typeId === Type.Utf8 && d.indices.bitWidth === 16) return { name: field.name, kind: 'dict', dictionaryId: d.id };
    }
    throw new TraceFormatError(path, `its Arrow column ${field.name} has type ${String(type)}, which irptrace does not write`);
  });
}


/** The strings of a dictionary batch's one Utf8 column. */
function readStrings(fd: number, at: number, n: number, buffers: readonly { offset: number; length: number }[]): string[] {
  const [, offsetsRegion, dataRegion] = buffers;
  if (offsetsRegion === undefined || dataRegion === undefined || n === 0) return [];
  const length = Math.max(offsetsRegion.offset + offsetsRegion.length, dataRegion.offset + dataRegion.length);
  const body = Buffer.alloc(length);
  readSync(fd, body, 0, length, at);
  const offsets = new Int32Array(body.buffer.slice(body.byteOffset + offsetsRegion.offset, body.byteOffset + offsetsRegion.offset + 4 * (n + 1)));
  const data = body.subarray(dataRegion.offset, dataRegion.offset + dataRegion.length);
  const strings: string[] = [];
  for (let i = 0; i < n; i++) strings.push(intern(data.toString('utf8', offsets[i]!, offsets[i + 1]!)));
  return strings;
}

/**
 * The internalized copy of a string (property keys are internalized): the fold compares kinds and
 * APIs with literals, and internalized strings compare by identity (about 5% of `reduce`).
 */
function intern(s: string): string {
  return Object.keys({ [s]: 0 })[0] ?? s;
}
