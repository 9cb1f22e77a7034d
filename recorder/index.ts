/* Recording */
export { recordRun, WORKER_THRESHOLD, type RecordOptions, type RecordResult, type SqliteWriterPlacement } from './record.js';
export { interruptOnSignals, type InterruptOptions, type Interruptible } from './signals.js';
export { Recorder, DEFAULT_BATCH_SIZE, DEFAULT_MAX_LATENCY_MS, type RecorderOptions, type RecordProgress } from './stream.js';
export { defaultTracePrefix, tracePaths, TRACE_FORMATS, type TraceFormat, type TracePaths } from './paths.js';
export { sessionFactsFor, TOOL_VERSION, type SessionEnd, type SessionFacts } from './session.js';

/* Sinks (the TraceSink port and its adapters) */
export type { EventBatch, TraceSink } from './sink.js';
export { SqliteSink } from './sqlite-sink.js';
export { SqliteWorkerSink, type SqliteWorkerSinkOptions } from './sqlite-worker-sink.js';
export { ArrowSink, type ArrowSinkOptions } from './arrow-sink.js';
export type { FileIo } from './file-io.js';

/* Layout */
export { SCHEMA_VERSION, APPLICATION_ID, EVENTS_DDL, SESSIONS_DDL, INDEX_DDL, INDEX_BUILD_PRAGMAS, EVENT_TABLE_COLUMNS } from './schema.sql.js';
export { traceSchema, META as ARROW_METADATA_KEYS, DICTIONARY_IDS, ARROW_INT_WIDTH } from './arrow-schema.js';

/* Reading */
export { readTraceInfo, detectFormat, type TraceInfo } from './info.js';
export { openSqliteTrace, readSqliteSession, iterateSqliteEvents, readSqliteTrace, type StoredSession } from './read-sqlite.js';
export { scanArrowTrace, readArrowTrace, eventsOfBatch, cellReadersOfBatch, sessionFromSchema, type ArrowScan } from './read-arrow.js';
export { checkChain, type ChainCheck } from './verify.js';

/* Errors */
export {
  RecorderError, TraceExistsError, TraceUnwritableError, DiskFullError, TraceWriteError, TraceValueError,
  TraceNotFoundError, TraceFormatError, TraceDamagedError, TraceVersionError, isDamagedDatabase, type RecorderErrorCode,
} from './errors.js';
