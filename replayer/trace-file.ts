import type { MachineState, TraceEvent } from '../model/index.js';
import type { SessionEnd, SessionFacts, TraceFormat } from '../recorder/index.js';
import type { ChainPoint } from './chain.js';
import type { EventFilter } from './filter.js';

/**
 * What identifies the exact bytes of a trace file cheaply: a checkpoints sidecar made for other
 * bytes (the trace re-recorded with --force, copied over, edited) is stale.
 */
export interface TraceFingerprint {
  readonly format: TraceFormat;
  readonly size: number;
  readonly mtimeMs: number;
  readonly sessionId: string;
  readonly events: number;
  /** The last event's stored hash ('' when there is none). */
  readonly lastHash: string;
}

/**
 * Random and sequential access to one trace file, SQLite or Arrow, synchronously. Events come out
 * as plain objects built once from the columns, **not frozen** (the fold needs no more, and
 * freezing costs); hand them to users through `freezeEvent`. `seq` runs from 0 to `count - 1`.
 */
export interface TraceFile {
  readonly path: string;
  readonly format: TraceFormat;
  readonly facts: SessionFacts;
  /** null: the recording did not finish (killed, or still running). */
  readonly end: SessionEnd | null;
  /** Events in the file. */
  readonly count: number;
  /**
   * Where the message starts that the file ends inside of (an Arrow recording killed mid-write):
   * the file is read up to the message before; null when it ends whole.
   */
  readonly truncatedAt: number | null;
  readonly fingerprint: TraceFingerprint;
  /** Events `from`…`to` (inclusive, clamped to the trace). */
  read(from: number, to: number): TraceEvent[];
  /**
   * The same events in consecutive blocks (a record batch, a page of rows): bounded memory. With
   * `chain` (the point just before `from`), each block is checked first; at the first bad event the
   * events before it are yielded, then its TraceChainError is thrown.
   */
  blocks(from?: number, to?: number, chain?: ChainPoint | null): Generator<TraceEvent[]>;
  /**
   * Applies events `from`…`to` to `state` with the model's `reduce` — through one reused event
   * object where the format allows (`reduce` keeps no event) — checking the chain first when
   * `chain` (the point just before `from`) is given. Returns the point after the last event
   * (null when unchecked). `visit` sees each event after it is applied — the reused object, only
   * valid during the call.
   */
  fold(state: MachineState, from: number, to: number, chain: ChainPoint | null, visit?: (e: TraceEvent) => void): ChainPoint | null;
  /**
   * The first (`direction` 1) or last (-1) seq in `from`…`to` whose event matches `filter`, or
   * null. Reads columns or lets SQLite filter: no event object is built for a row that does not match.
   */
  find(filter: EventFilter, from: number, to: number, direction: 1 | -1): number | null;
  /** Every seq in `from`…`to` whose event matches `filter`, ascending. */
  findAll(filter: EventFilter, from: number, to: number): number[];
  close(): void;
}
