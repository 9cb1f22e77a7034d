import type { Observable, Subscription } from 'rxjs';
import { EVENT_KINDS, GENESIS_HASH, type EndReason, type TraceEvent } from '../model/index.js';
import { Packer, type ColumnarBatch } from './columnar.js';
import type { SessionEnd } from './session.js';
import type { EventBatch, TraceSink } from './sink.js';

export interface RecorderOptions {
  /** Events per batch (one transaction, one record batch). */
  readonly batchSize?: number;
  /** Longest time an event waits in the buffer before it is written (ms, wall clock). */
  readonly maxLatencyMs?: number;
  /**
   * Most distinct strings a TEXT column's dictionary holds before it restarts (bounds memory on
   * runs that name things without end); at least batchSize + the number of event kinds, at most 32767.
   */
  readonly dictionaryLimit?: number;
  /** Wall clock in ms (tests inject one). */
  readonly now?: () => number;
  /** After every batch written: how far the recording is (for a progress line). */
  readonly onProgress?: (progress: RecordProgress) => void;
  /**
   * A sink failed: the recorder stops writing and keeps the error for `finish` to throw. The
   * caller should stop the producer (`sim.interrupt()`).
   */
  readonly onFailure?: (error: unknown) => void;
}

export interface RecordProgress {
  /** Events written so far. */
  readonly events: number;
  /** Wall-clock ms since the recorder was created. */
  readonly elapsedMs: number;
}

export const DEFAULT_BATCH_SIZE = 4096;
export const DEFAULT_MAX_LATENCY_MS = 200;
/** Dictionary codes are Int16. */
const MAX_DICTIONARY = 32767;
/** How often (in events) the wall clock is read to honour maxLatencyMs. */
const CLOCK_EVERY = 64;

/**
 * Writes an event stream to sinks, in `seq` order, in batches: a batch goes out when it has
 * `batchSize` events or its oldest event has waited `maxLatencyMs`, and whatever is left goes out
 * when the stream completes or `flush()` is called. Everything is synchronous: the simulation's
 * `next()` returns once the event is buffered (or its batch written), which is the backpressure.
 *
 * The recorder checks the stream as it goes (seq dense from 0) and keeps the facts the session's
 * end needs (count, last hash, end reason), so `finish()` needs nothing from the producer.
 *
 * @example
 * ```ts
 * const recorder = new Recorder([ArrowSink.open(path, facts)]).attach(sim.events$);
 * await sim.run();
 * const end = recorder.finish();
 * ```
 */
export class Recorder {
  private readonly batchSize: number;
  private readonly maxLatencyMs: number;
  private readonly now: () => number;
  private readonly started: number;
  private buffer: TraceEvent[] = [];
  private oldest = 0;
  private written = 0;
  private seen = 0;
  private lastHash = GENESIS_HASH;
  private endReason: EndReason | null = null;
  private readonly packer: Packer;
  private subscription: Subscription | null = null;
  private timer: NodeJS.Timeout | null = null;
  private failed: { error: unknown } | null = null;
  private closed = false;

  constructor(private readonly sinks: readonly TraceSink[], private readonly options: RecorderOptions = {}) {
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.maxLatencyMs = options.maxLatencyMs ?? DEFAULT_MAX_LATENCY_MS;
    this.now = options.now ?? (() => performance.now());
    this.started = this.now();
    const limit = options.dictionaryLimit ?? MAX_DICTIONARY;
    if (!(this.batchSize >= 1 && limit <= MAX_DICTIONARY && limit >= this.batchSize + EVENT_KINDS.length)) {
      throw new RangeError(`batchSize ${this.batchSize} and dictionaryLimit ${limit}: need 1 ≤ batchSize and batchSize + ${EVENT_KINDS.length} ≤ dictionaryLimit ≤ ${MAX_DICTIONARY}`);
    }
    this.packer = new Packer(limit);
  }

  /** Subscribes to the stream; the last batch is written when it completes. */
  attach(events$: Observable<TraceEvent>): this {
    this.subscription = events$.subscribe({
      next: (event) => this.push(event),
      complete: () => this.write(),
      error: (error: unknown) => this.fail(error),
    });
    // A producer that yields to the event loop between events still gets its batches out on time.
    this.timer = setInterval(() => {
      if (this.buffer.length > 0 && this.now() - this.oldest >= this.maxLatencyMs) this.write();
    }, Math.max(10, this.maxLatencyMs / 2));
    this.timer.unref();
    return this;
  }

  /** The first sink failure, if any (the recording then stops writing). */
  get failure(): unknown {
    return this.failed?.error;
  }

  /** Events seen so far, and events written. */
  get counts(): { readonly seen: number; readonly written: number } {
    return { seen: this.seen, written: this.written };
  }

  push(event: TraceEvent): void {
    if (this.failed !== null || this.closed) return;
    if (event.seq !== this.seen) {
      this.fail(new Error(`event stream out of order: expected seq ${this.seen}, got ${event.seq}`));
      return;
    }
    this.seen++;
    const buffer = this.buffer;
    if (buffer.length === 0) this.oldest = this.now();
    buffer.push(event);
    if (event.kind === 'SessionEnded') this.endReason = event.api as EndReason;
    if (buffer.length >= this.batchSize) this.write();
    else if (buffer.length % CLOCK_EVERY === 0 && this.now() - this.oldest >= this.maxLatencyMs) this.write();
  }

  /** Writes what is buffered and makes every sink durable; throws the recording's failure. */
  flush(): void {
    this.write();
    this.throwIfFailed();
    try {
      for (const sink of this.sinks) sink.flush();
    } catch (error) {
      this.fail(error);
      this.throwIfFailed();
    }
  }

  /**
   * Writes the rest, then completes every sink with the end facts: the end reason is the
   * SessionEnded event's (or `endReason` when the stream had none). Throws the recording's failure.
   */
  finish(endReason?: EndReason, endedAt: Date = new Date()): SessionEnd {
    this.flush();
    const reason = this.endReason ?? endReason;
    if (reason === undefined) throw new Error('the event stream ended without SessionEnded and no end reason was given');
    const end: SessionEnd = Object.freeze({ endedAt: endedAt.toISOString(), endReason: reason, eventCount: this.written, finalHash: this.lastHash });
    this.detach();
    try {
      // Last sink first: SQLite's finish (the index build) is the long one, so a kill during it
      // leaves every file unfinished rather than the Arrow one complete and the SQLite one not.
      // A writer thread starts its index build first, and the Arrow file's fsync overlaps it.
      const sinks = [...this.sinks].reverse();
      for (const sink of sinks) sink.startFinish?.(end);
      for (const sink of sinks) sink.finish(end);
    } catch (error) {
      this.fail(error);
      this.abort();
      this.throwIfFailed();
    }
    this.closed = true;
    return end;
  }

  /** Stops recording and closes every sink without marking the trace complete. */
  abort(): void {
    this.detach();
    this.closed = true;
    for (const sink of this.sinks) sink.close();
  }

  private detach(): void {
    this.subscription?.unsubscribe();
    this.subscription = null;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private write(): void {
    const events = this.buffer;
    if (events.length === 0 || this.failed !== null || this.closed) return;
    let columns: ColumnarBatch | null = null;
    const batch: EventBatch = { events, columns: () => (columns ??= this.packer.pack(events)) };
    try {
      for (const sink of this.sinks) sink.append(batch);
    } catch (error) {
      this.fail(error);
      return;
    }
    this.written += events.length;
    this.lastHash = events[events.length - 1]!.hash;
    // Sinks keep nothing of a batch, so its array is reused.
    events.length = 0;
    this.options.onProgress?.({ events: this.written, elapsedMs: this.now() - this.started });
  }

  private fail(error: unknown): void {
    if (this.failed !== null) return;
    this.failed = { error };
    this.buffer = [];
    this.options.onFailure?.(error);
  }

  private throwIfFailed(): void {
    if (this.failed !== null) throw this.failed.error;
  }
}
