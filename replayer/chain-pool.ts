import type { Worker } from 'node:worker_threads';
import { LazyThread } from './lazy-thread.js';
import type { ChainWorkerMessage } from './chain-protocol.js';

/**
 * The chain-checking thread of this process (chain-worker.ts), started on first use and kept —
 * unref'd, so it never keeps a process alive. Long chain-checked Arrow folds hand it the batches
 * to check, so the check runs on the other core while the main thread folds; the main thread
 * checks any batch the thread has not claimed by the time it needs it, so a thread that is still
 * starting (about half a second: tsx loads in it) or that failed to start costs nothing but the
 * messages. `IRPTRACE_CHAIN_THREAD=0` turns it off.
 */
const thread = new LazyThread(new URL('./chain-worker.mjs', import.meta.url), 'IRPTRACE_CHAIN_THREAD');

export function chainThread(): Worker | null {
  return thread.get();
}

/** Posts to the thread, if there is one. */
export function toChainThread(message: ChainWorkerMessage): boolean {
  const worker = chainThread();
  if (worker === null) return false;
  worker.postMessage(message);
  return true;
}

/** Starts the thread if need be; resolves true once it takes jobs (false: there is none). */
export function chainThreadReady(): Promise<boolean> {
  return thread.ready();
}

/** Turns handing chain checks to the thread on or off for this process (the bench compares both); returns the previous setting. */
export function useChainThread(on: boolean): boolean {
  return thread.use(on);
}
