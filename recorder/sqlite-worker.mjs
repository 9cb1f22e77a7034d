// The SQLite writer thread (see sqlite-worker-sink.ts). Plain JavaScript so that the thread starts
// without a TypeScript loader (tsx takes ~0.5 s to start in a worker; vitest's transform does not
// reach workers at all). It runs the SqlitePlan it is given, so every SQL text comes from
// schema.sql.ts; the only logic here is turning a ColumnarBatch back into rows.
import { renameSync, rmSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** Indexes into the shared control array (mirrored in sqlite-worker-sink.ts). */
const STATE = 0;
const COMMITTED = 1;
const ERROR_LENGTH = 2;
const CHECKPOINTER = 3;
const READY = 1;
const FINISHED = 2;
const CLOSED = 3;
const FAILED = -1;

const { plan, control: controlBuffer, error: errorBuffer } = workerData;
const control = new Int32Array(controlBuffer);
const port = parentPort;
/** Dictionary mirror: per TEXT column, code → string. */
let strings = plan.layout.filter((s) => s[0] === 'text').map(() => []);
let db = null;
let done = false;

function signal(index, value) {
  Atomics.store(control, index, value);
  Atomics.notify(control, index);
}

/** Leaves the error (code and first line) where the main thread reads it, then says FAILED. */
function fail(error) {
  if (done) return;
  done = true;
  const code = typeof error?.code === 'string' ? error.code : null;
  const message = String(error?.message ?? error).split('\n')[0].slice(0, 1000);
  const bytes = new TextEncoder().encode(JSON.stringify({ code, message }));
  new Uint8Array(errorBuffer).set(bytes.subarray(0, errorBuffer.byteLength));
  Atomics.store(control, ERROR_LENGTH, Math.min(bytes.length, errorBuffer.byteLength));
  try { db?.close(); } catch { /* already failing */ }
  signal(STATE, FAILED);
  port.close();
}

process.on('exit', () => fail(new Error('the SQLite writer thread exited')));

try {
  // As createTraceFile in sqlite-sink.ts: initialise under a temporary name, then rename into place.
  rmSync(plan.initPath, { force: true });
  const init = new Database(plan.initPath);
  try {
    init.pragma('journal_mode = WAL');
    init.transaction(() => {
      for (const sql of plan.create) init.exec(sql);
      init.prepare(plan.insertSession.sql).run(...plan.insertSession.params);
    })();
  } finally {
    init.close();
  }
  renameSync(plan.initPath, plan.path);
  db = new Database(plan.path, { fileMustExist: true });
  for (const p of plan.pragmas) db.pragma(p);
} catch (error) {
  try { rmSync(plan.initPath, { force: true }); } catch { /* reporting the first failure matters more */ }
  fail(error);
}

if (!done) {
  const per = plan.rowsPerInsert;
  const columns = plan.columns;
  const insertMany = db.prepare(plan.insertSql);
  const tails = new Map();
  const args = new Array(per * columns);
  const writeBatch = db.transaction((batch) => {
    const n = batch.length;
    let i = 0;
    for (; i + per <= n; i += per) {
      fill(args, batch, i, per);
      insertMany.run(...args);
    }
    const rest = n - i;
    if (rest > 0) {
      let tail = tails.get(rest);
      if (tail === undefined) {
        tail = db.prepare(plan.insertPrefix + new Array(rest).fill(plan.insertRow).join(','));
        tails.set(rest, tail);
      }
      const tailArgs = new Array(rest * columns);
      fill(tailArgs, batch, i, rest);
      tail.run(...tailArgs);
    }
  });

  port.on('message', (message) => {
    if (done) return;
    try {
      switch (message.op) {
        case 'batch':
          mirror(message.batch);
          writeBatch(message.batch);
          signal(COMMITTED, Atomics.load(control, COMMITTED) + 1);
          break;
        case 'finish':
          for (const p of plan.indexPragmas) db.pragma(p);
          db.transaction(() => {
            for (const sql of plan.indexes) db.exec(sql);
            db.prepare(plan.endSessionSql).run(...message.endParams);
          })();
          // The main thread's checkpointing connection must be closed first: leaving WAL mode needs
          // the only connection.
          while (Atomics.load(control, CHECKPOINTER) !== 0) Atomics.wait(control, CHECKPOINTER, 1, 100);
          db.pragma('wal_checkpoint(TRUNCATE)');
          db.pragma('journal_mode = DELETE');
          db.close();
          done = true;
          signal(STATE, FINISHED);
          port.close();
          break;
        case 'close':
          db.close();
          done = true;
          signal(STATE, CLOSED);
          port.close();
          break;
        default:
          throw new Error(`unknown message ${message.op}`);
      }
    } catch (error) {
      fail(error);
    }
  });
  signal(STATE, READY);
}

/** Applies a batch's dictionary additions (and restarts) to the mirror. */
function mirror(batch) {
  for (let c = 0; c < strings.length; c++) {
    if ((batch.resets & (1 << c)) !== 0) strings[c] = [];
    const into = strings[c];
    for (const s of batch.added[c]) into.push(s);
  }
}

/** Rows `from … from + count - 1` of a ColumnarBatch into `args`, one table column at a time. */
function fill(args, batch, from, count) {
  const { length: n, ints, codes, hashes } = batch;
  const layout = plan.layout;
  const columns = plan.columns;
  for (let c = 0; c < columns; c++) {
    const source = layout[c];
    if (source[0] === 'int') {
      const base = source[1] * n + from;
      for (let j = 0, k = c; j < count; j++, k += columns) {
        const v = ints[base + j];
        args[k] = v !== v ? null : v;
      }
    } else if (source[0] === 'text') {
      const base = source[1] * n + from;
      const dict = strings[source[1]];
      for (let j = 0, k = c; j < count; j++, k += columns) {
        const code = codes[base + j];
        args[k] = code < 0 ? null : dict[code];
      }
    } else {
      for (let j = 0, k = c; j < count; j++, k += columns) {
        const at = (from + j) * 16;
        args[k] = hashes.substring(at, at + 16);
      }
    }
  }
}
