import type { TraceEvent } from '../model/index.js';
import type { ColumnarBatch } from './columnar.js';
import type { SessionEnd } from './session.js';

/**
 * A batch of consecutive events (in `seq` order, none missing) as the recorder hands it to sinks.
 * `columns()` packs it into typed arrays once, on first use, for the sinks that want columns.
 */
export interface EventBatch {
  readonly events: readonly TraceEvent[];
  columns(): ColumnarBatch;
}

/**
 * Where a recording goes: the port the recorder writes through (SqliteSink, ArrowSink, a test's
 * in-memory sink). Every method is synchronous: the simulation pushes events synchronously, and a
 * synchronous consumer is its own backpressure.
 *
 * - `append` writes one batch; once it returns, the batch is on disk as a whole or (with a writer
 *   thread) queued behind at most a bounded number of others. It must not keep `batch` or its
 *   arrays after returning, except that the last sink may take the columns' buffers (transfer).
 * - `flush` returns once everything appended is durable against a process kill.
 * - `startFinish` (optional) starts the slow part of finishing without marking anything complete,
 *   so that the recorder can overlap the sinks' finishing work (the writer thread's index build
 *   with the Arrow file's fsync); `finish` must follow.
 * - `finish` flushes, records the end facts, marks the trace complete and closes it.
 * - `close` closes without marking the trace complete (an aborted recording); idempotent.
 */
export interface TraceSink {
  /** The file written. */
  readonly path: string;
  append(batch: EventBatch): void;
  flush(): void;
  startFinish?(end: SessionEnd): void;
  finish(end: SessionEnd): void;
  close(): void;
}
