import { rmSync } from 'node:fs';
import { AsyncByteQueue, RecordBatchStreamWriter, type Schema } from 'apache-arrow';
import { TEXT_COLUMNS, type ColumnarBatch } from './columnar.js';
import { ArrowBatchBuilder, ArrowValueError } from './arrow-batch.js';
import { trailerMetadata, traceSchema } from './arrow-schema.js';
import { TraceValueError, writeFailure } from './errors.js';
import { NODE_FILE_IO, writeAll, type FileIo } from './file-io.js';
import type { SessionEnd, SessionFacts } from './session.js';
import type { EventBatch, TraceSink } from './sink.js';

/**
 * The writer's byte sink: collects what the writer emits for one batch, so the sink can write it
 * with one synchronous call. (Piping the writer to a Node stream would queue every byte behind the
 * event loop, which a running simulation never yields to: nothing would reach the disk until the
 * run ended, and memory would grow with it.)
 */
class ChunkQueue extends AsyncByteQueue {
  chunks: Uint8Array[] = [];
  size = 0;

  override write(value: Uint8Array): void {
    if (value.byteLength === 0) return;
    this.chunks.push(value);
    this.size += value.byteLength;
  }

  take(): Uint8Array {
    const out = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    this.size = 0;
    return out;
  }
}

export interface ArrowSinkOptions {
  readonly io?: FileIo;
}

/**
 * Writes a trace as an Arrow IPC **stream**: the schema (with the session facts as metadata),
 * then one record batch per recorder batch (with delta dictionary batches before it when it
 * introduces strings), then a zero-row trailer batch carrying the end facts, then the
 * end-of-stream marker. The stream format has no footer, so a killed recording is readable up to
 * its last whole batch; the missing trailer says it did not finish.
 */
export class ArrowSink implements TraceSink {
  private readonly schema: Schema;
  private readonly builder: ArrowBatchBuilder;
  private readonly writer = new RecordBatchStreamWriter();
  private readonly queue = new ChunkQueue();
  private closed = false;

  /**
   * Creates the file (which must not exist) and writes the schema: under a temporary name first,
   * renamed into place once the schema is written, so that a trace file always has its session facts.
   */
  static open(path: string, session: SessionFacts, options: ArrowSinkOptions = {}): ArrowSink {
    const io = options.io ?? NODE_FILE_IO;
    const initPath = `${path}.init`;
    let fd: number;
    try {
      fd = io.openSync(initPath, 'wx');
    } catch (error) {
      throw writeFailure(path, error, true);
    }
    const sink = new ArrowSink(path, io, fd, traceSchema(session));
    try {
      sink.writer.reset(sink.queue, sink.schema);
      sink.drain();
      io.renameSync(initPath, path);
    } catch (error) {
      sink.close();
      rmSync(initPath, { force: true });
      throw writeFailure(path, error, true);
    }
    return sink;
  }

  private constructor(readonly path: string, private readonly io: FileIo, private readonly fd: number, schema: Schema) {
    this.schema = schema;
    this.builder = new ArrowBatchBuilder(schema);
  }

  append(batch: EventBatch): void {
    this.write(batch.columns());
  }

  flush(): void {
    // Every append reaches the file before it returns.
  }

  /** Makes what is written durable (the bulk of finishing: one fsync); the trailer follows in `finish`. */
  startFinish(): void {
    try {
      this.io.fsyncSync(this.fd);
    } catch (error) {
      throw writeFailure(this.path, error);
    }
  }

  finish(end: SessionEnd): void {
    this.write(EMPTY, trailerMetadata(end));
    try {
      this.writer.finish();
      this.drain();
      this.io.fsyncSync(this.fd);
    } catch (error) {
      throw writeFailure(this.path, error);
    } finally {
      this.close();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.io.closeSync(this.fd);
    } catch {
      // Closing after a failed write: nothing more to save.
    }
  }

  private write(columns: ColumnarBatch, metadata?: Map<string, string>): void {
    let batch;
    try {
      batch = this.builder.build(columns, metadata);
    } catch (error) {
      if (error instanceof ArrowValueError) throw new TraceValueError(this.path, error.column, error.seq, error.value);
      throw error;
    }
    try {
      this.writer.write(batch);
      this.drain();
    } catch (error) {
      throw writeFailure(this.path, error);
    }
  }

  private drain(): void {
    if (this.queue.size > 0) writeAll(this.io, this.fd, this.queue.take());
    // The writer notes every message's position for the IPC *file* footer, which a stream never
    // writes: drop them so that memory does not grow with the run.
    const blocks = this.writer as unknown as { _recordBatchBlocks?: unknown; _dictionaryBlocks?: unknown };
    if (Array.isArray(blocks._recordBatchBlocks)) blocks._recordBatchBlocks.length = 0;
    if (Array.isArray(blocks._dictionaryBlocks)) blocks._dictionaryBlocks.length = 0;
  }
}

const EMPTY: ColumnarBatch = Object.freeze({
  length: 0, ints: new Float64Array(0), codes: new Int16Array(0), added: TEXT_COLUMNS.map(() => []), resets: 0, hashes: '',
});
