/**
 * The replayer's failures. Each has a one-line message fit for a terminal, a stable `code` and the
 * trace concerned; the CLI prints the message and exits 2. The recorder's reader errors
 * (TraceNotFoundError, TraceFormatError, TraceVersionError) pass through unchanged.
 */
export type ReplayErrorCode =
  | 'CHAIN_BROKEN' | 'TRACE_TRUNCATED' | 'TRACE_CORRUPT' | 'SEQ_OUT_OF_RANGE' | 'SCENARIO_UNAVAILABLE' | 'BAD_FILTER';

export class ReplayError extends Error {
  constructor(readonly code: ReplayErrorCode, readonly path: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReplayError';
  }
}

/**
 * The trace's events do not follow from each other at `seq`: its stored hash is not the chain's
 * (a flipped byte in a row or a hash), `seq` is not dense, or time goes back.
 */
export class TraceChainError extends ReplayError {
  constructor(path: string, readonly seq: number, readonly why: string) {
    super('CHAIN_BROKEN', path, `${path} is corrupted at seq ${seq}: ${why}`);
    this.name = 'TraceChainError';
  }
}

/** The file ends in the middle of a record (cut short by a copy, a download or a kill mid-write). */
export class TraceTruncatedError extends ReplayError {
  constructor(path: string, readonly atByte: number) {
    super('TRACE_TRUNCATED', path, `${path} is truncated: it ends inside a record at byte ${atByte}`);
    this.name = 'TraceTruncatedError';
  }
}

/** The file's own structure is damaged (SQLite: malformed pages; Arrow: unreadable metadata). */
export class TraceCorruptError extends ReplayError {
  constructor(path: string, why: string, cause?: unknown) {
    super('TRACE_CORRUPT', path, `${path} is corrupted: ${why}`, { cause });
    this.name = 'TraceCorruptError';
  }
}

/** A `seq` the trace does not have. */
export class SeqOutOfRangeError extends ReplayError {
  constructor(path: string, readonly seq: number, readonly count: number) {
    super('SEQ_OUT_OF_RANGE', path, count === 0 ? `${path} has no events (asked for seq ${seq})` : `seq ${seq} is out of range: ${path} has seq 0 to ${count - 1}`);
    this.name = 'SeqOutOfRangeError';
  }
}

/** The recorded scenario cannot be loaded any more (deleted, renamed, no longer compiles, unknown built-in). */
export class ScenarioUnavailableError extends ReplayError {
  constructor(path: string, readonly scenario: string, why: string, cause?: unknown) {
    super('SCENARIO_UNAVAILABLE', path, `cannot re-execute ${path}: its scenario ${scenario} ${why}`, { cause });
    this.name = 'ScenarioUnavailableError';
  }
}

/** A filter (`kind=IrpCompleted cpu=1`) that does not parse: unknown key, bad value. */
export class FilterError extends ReplayError {
  constructor(readonly filter: string, why: string) {
    super('BAD_FILTER', '', `bad filter "${filter}": ${why}`);
    this.name = 'FilterError';
  }
}
