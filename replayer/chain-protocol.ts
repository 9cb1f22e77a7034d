import type { BatchEntry, DictionaryEpoch, FieldLayout } from './arrow-batch.js';

/**
 * What the main thread and the chain-checking thread share (chain-pool.ts, chain-worker.ts): a
 * job's control array (Int32Array over a SharedArrayBuffer) holds the header, then one state per
 * batch of the job.
 */

/** Header: the next batch the thread may claim (job-relative), and 1 while the main thread still wants checks. */
export const NEXT = 0;
export const BUSY = 1;
export const HEADER = 2;

/** A batch's state. */
export const FREE = 0;
export const CLAIMED_BY_WORKER = 1;
export const CLAIMED_BY_MAIN = 2;
export const DONE = 3;
export const FAILED = 4;

/** A trace's batch index, sent once per open trace. */
export interface OpenMessage {
  readonly op: 'open';
  readonly trace: number;
  readonly path: string;
  /** The main thread's descriptor of the file (valid while the main thread folds it: jobs run only then). */
  readonly fd: number;
  readonly layouts: readonly FieldLayout[];
  readonly batches: readonly BatchEntry[];
  readonly dictionaries: ReadonlyMap<number, readonly DictionaryEpoch[]>;
}

/**
 * Check batches `first + 1` … `first + count` of a trace (the main thread checks batch `first`,
 * where the range starts, itself); the last one up to row `lastStop` (exclusive).
 */
export interface ChainJob {
  readonly op: 'job';
  readonly trace: number;
  readonly control: SharedArrayBuffer;
  readonly first: number;
  readonly count: number;
  readonly lastStop: number;
}

export type ChainWorkerMessage = OpenMessage | ChainJob | { readonly op: 'close'; readonly trace: number };
