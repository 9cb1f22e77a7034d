import { Worker } from 'node:worker_threads';
import type { ChainWorkerMessage } from './chain-protocol.js';

/**
 * The chain-checking thread of this process (chain-worker.ts), started on first use and kept —
 * unref'd, so it never keeps a process alive. Long chain-checked Arrow folds hand it the batches
 * to check, so the check runs on the other core while the main thread folds; the main thread
 * checks any batch the thread has not claimed by the time it needs it, so a thread that is still
 * starting (about half a second: tsx loads in it) or that failed to start costs nothing but the
 * messages. `IRPTRACE_CHAIN_THREAD=0` turns it off.
 */
let worker: Worker | null | undefined;
let enabled = process.env.IRPTRACE_CHAIN_THREAD !== '0';
let ready: Promise<boolean> = Promise.resolve(false);

export function chainThread(): Worker | null {
  if (!enabled) return null;
  if (worker === undefined) {
    try {
      const started = new Worker(new URL('./chain-worker.mjs', import.meta.url));
      started.unref();
      // A thread that fails (tsx cannot load, say) or ends is dropped: the main thread checks everything.
      const drop = (): void => {
        if (worker === started) worker = null;
      };
      started.on('error', drop);
      started.on('exit', drop);
      worker = started;
      ready = new Promise((resolve) => {
        started.once('message', () => resolve(true));
        started.once('error', () => resolve(false));
        started.once('exit', () => resolve(false));
      });
    } catch {
      worker = null;
    }
  }
  return worker;
}

/** Posts to the thread, if there is one. */
export function toChainThread(message: ChainWorkerMessage): boolean {
  const thread = chainThread();
  if (thread === null) return false;
  thread.postMessage(message);
  return true;
}

/** Starts the thread if need be; resolves true once it takes jobs (false: there is none). */
export function chainThreadReady(): Promise<boolean> {
  chainThread();
  return ready;
}

/** Turns handing chain checks to the thread on or off for this process (the bench compares both); returns the previous setting. */
export function useChainThread(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}
