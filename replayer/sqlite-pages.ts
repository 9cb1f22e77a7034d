import { receiveMessageOnPort, MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { LazyThread } from './lazy-thread.js';

/**
 * SQLite pages read ahead on another thread (sqlite-pages-worker.mjs): SQLite building a page's
 * JSON takes about as long as the main thread parsing and folding it, so a long SQLite replay runs
 * the two on both cores. The thread opens the trace read-only on its own connection and posts each
 * page's text; the main thread takes them in order, synchronously (it never yields during a fold:
 * Atomics.wait and receiveMessageOnPort), and reads any page the thread has not claimed itself — a
 * thread still starting, or that could not start, costs nothing. Started on first use and kept,
 * unref'd. `IRPTRACE_SQLITE_THREAD=0` turns it off.
 */

/** Control array layout (mirrored in sqlite-pages-worker.mjs; slot 0 is the thread's next page). */
const BUSY = 1;
const CONSUMED = 2;
const HEADER = 3;
const FREE = 0;
const CLAIMED_BY_WORKER = 1;
const CLAIMED_BY_MAIN = 2;
const DONE = 3;

/** Pages the thread may read ahead of the main thread (each about a megabyte of JSON text). */
const AHEAD = 4;

const thread = new LazyThread(new URL('./sqlite-pages-worker.mjs', import.meta.url), 'IRPTRACE_SQLITE_THREAD');

function pageThread(): Worker | null {
  return thread.get();
}

/** Starts the thread if need be; resolves true once it takes jobs (false: there is none). */
export function sqlitePageThreadReady(): Promise<boolean> {
  return thread.ready();
}

/** Turns reading pages on the thread on or off for this process; returns the previous setting. */
export function useSqlitePageThread(on: boolean): boolean {
  return thread.use(on);
}

/** Pages `[lo, hi]` of one range, read ahead by the thread; `take(k)` gives page k's text. */
export class PageJob {
  private readonly control: Int32Array;
  private readonly port: MessagePort;
  private readonly early = new Map<number, string | null>();

  private constructor(control: SharedArrayBuffer, port: MessagePort) {
    this.control = new Int32Array(control);
    this.port = port;
  }

  /** Starts reading `pages` (flat lo, hi pairs) with `sql` on the thread; null when there is no thread. */
  static start(path: string, sql: string, pages: readonly number[]): PageJob | null {
    const thread = pageThread();
    if (thread === null) return null;
    const control = new SharedArrayBuffer(4 * (HEADER + pages.length / 2));
    const { port1, port2 } = new MessageChannel();
    const job = new PageJob(control, port1);
    job.control[BUSY] = 1;
    thread.postMessage({ path, sql, pages, control, port: port2, ahead: AHEAD }, [port2]);
    return job;
  }

  /** Page `k`'s text: from the thread, or `read` here when the thread has not claimed it (or failed on it). */
  take(k: number, read: () => string): string {
    const ctl = this.control;
    try {
      for (;;) {
        const state = Atomics.load(ctl, HEADER + k);
        if (state === DONE) {
          const text = this.received(k);
          if (text !== undefined) return text ?? read();
        } else if (state === FREE) {
          if (Atomics.compareExchange(ctl, HEADER + k, FREE, CLAIMED_BY_MAIN) === FREE) return read();
        } else if (state === CLAIMED_BY_WORKER) {
          if (Atomics.wait(ctl, HEADER + k, CLAIMED_BY_WORKER, 1000) === 'timed-out' && pageThread() === null) return read();
        }
      }
    } finally {
      Atomics.store(ctl, CONSUMED, k + 1);
      Atomics.notify(ctl, CONSUMED);
    }
  }

  /** Stops the thread's reading (the range is done, or abandoned). */
  end(): void {
    if (Atomics.load(this.control, BUSY) === 0) return;
    Atomics.store(this.control, BUSY, 0);
    Atomics.notify(this.control, CONSUMED);
    this.port.close();
  }

  /** Page k's text if its message is in (null: the thread failed on it); undefined: not yet. */
  private received(k: number): string | null | undefined {
    for (;;) {
      if (this.early.has(k)) {
        const text = this.early.get(k)!;
        this.early.delete(k);
        return text;
      }
      const message = receiveMessageOnPort(this.port) as { message: { k: number; text: string | null } } | undefined;
      if (message === undefined) return undefined;
      this.early.set(message.message.k, message.message.text);
    }
  }
}
