/* Reading a trace back */
export { openTraceFile } from './open.js';
export type { TraceFile, TraceFingerprint } from './trace-file.js';
export { replayTrace, type ReplayOptions } from './stream.js';
export { paced } from './pace.js';
export { ChainVerifier, CHAIN_START, type ChainPoint } from './chain.js';
export { useChainThread, chainThreadReady } from './chain-pool.js';
export { useSqlitePageThread, sqlitePageThreadReady } from './sqlite-pages.js';

/* Time travel */
export { Timeline, type TimelineOptions } from './timeline.js';
export { Cursor } from './cursor.js';
export { Checkpoints, DEFAULT_INTERVAL, type CheckpointOrigin } from './checkpoints.js';
export { parseFilter, matches, FILTER_KEYS, type EventFilter, type FilterClause, type FilterKey } from './filter.js';

/* Re-execution */
export { verifyTrace, differences, EVENT_FIELDS, type Divergence, type VerifyOptions, type VerifyResult } from './verify.js';
export { recordedRun, loadRecordedScenario, type RecordedRun, type ScenarioFileLoader } from './recorded-run.js';

/* Errors */
export {
  ReplayError, TraceChainError, TraceTruncatedError, TraceCorruptError, SeqOutOfRangeError, ScenarioUnavailableError, FilterError,
  type ReplayErrorCode,
} from './errors.js';
