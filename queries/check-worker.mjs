// The rule pack's second thread (queries/parallel.ts): opens the same SQLite trace read-only on its
// own connection, builds the views its share of the rules reads, runs those rules and posts back
// their raw rows. Plain JavaScript, like recorder/sqlite-worker.mjs, so it needs no TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, pragmas, statements, rules } = workerData;
let current = null;
try {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    for (const pragma of pragmas) db.pragma(pragma);
    // Same as queries/engine.ts.
    db.function('irptrace_hex', { deterministic: true }, (value) =>
      typeof value === 'number' ? `0x${value.toString(16).toUpperCase().padStart(8, '0')}` : null);
    const t0 = performance.now();
    for (const sql of statements) db.exec(sql);
    const viewsMs = performance.now() - t0;
    db.pragma('query_only = ON');
    const results = [];
    for (const rule of rules) {
      current = rule.id;
      const t = performance.now();
      const stmt = db.prepare(rule.sql);
      const columns = stmt.columns().map((c) => c.name);
      const rows = stmt.raw(true).all();
      results.push({ id: rule.id, columns, rows, ms: performance.now() - t });
    }
    current = null;
    parentPort.postMessage({ viewsMs, results });
  } finally {
    db.close();
  }
} catch (error) {
  parentPort.postMessage({ error: error instanceof Error ? error.message : String(error), rule: current });
}
