// The SQLite page-reading thread (see sqlite-pages.ts). Plain JavaScript, so that it starts without
// a TypeScript loader: it only runs the query it is given over the pages it is given, each page's
// rows as one JSON text, posted ahead of the main thread that parses and folds them.
import { parentPort } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** Mirrored in sqlite-pages.ts. */
const NEXT = 0;
const BUSY = 1;
const CONSUMED = 2;
const HEADER = 3;
const FREE = 0;
const CLAIMED_BY_WORKER = 1;
const DONE = 3;

function run(job) {
  const ctl = new Int32Array(job.control);
  const { port, pages, ahead } = job;
  const count = pages.length / 2;
  // A connection per job, closed with it: the thread keeps no trace open between replays.
  let db = null;
  let stmt = null;
  try {
    db = new Database(job.path, { readonly: true, fileMustExist: true });
    stmt = db.prepare(job.sql).pluck();
  } catch {
    // The main thread reads every page itself.
  }
  try {
    while (stmt !== null) {
      if (Atomics.load(ctl, BUSY) !== 1) return;
      const k = Atomics.add(ctl, NEXT, 1);
      if (k >= count) return;
      // At most `ahead` pages waiting for the main thread.
      for (let consumed = Atomics.load(ctl, CONSUMED); k >= consumed + ahead; consumed = Atomics.load(ctl, CONSUMED)) {
        if (Atomics.load(ctl, BUSY) !== 1) return;
        Atomics.wait(ctl, CONSUMED, consumed, 200);
      }
      if (Atomics.compareExchange(ctl, HEADER + k, FREE, CLAIMED_BY_WORKER) !== FREE) continue;
      let text = null;
      try {
        text = stmt.get(pages[2 * k], pages[2 * k + 1]);
      } catch {
        // null: the main thread reads the page itself, and gets the error.
      }
      port.postMessage({ k, text });
      Atomics.store(ctl, HEADER + k, DONE);
      Atomics.notify(ctl, HEADER + k);
    }
  } finally {
    port.close();
    db?.close();
  }
}

parentPort.on('message', run);
parentPort.postMessage('ready');
