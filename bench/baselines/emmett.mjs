// The emmett-sqlite baseline (bench/recorder.ts): appendToStream of trace events, `perCall` per
// call, into a SQLite event store. Plain JavaScript in this package so that it resolves the
// packages installed here, not in irptrace's own node_modules.
import { getSQLiteEventStore } from '@event-driven-io/emmett-sqlite';

/** Appends every event (as { type: kind, data: the event's columns }) and returns how many. */
export async function appendAll(fileName, events, perCall = 100) {
  const store = getSQLiteEventStore({ fileName, schema: { autoMigration: 'CreateOrUpdate' } });
  for (let i = 0; i < events.length; i += perCall) {
    const chunk = events.slice(i, i + perCall).map((e) => ({ type: e.kind, data: { ...e } }));
    await store.appendToStream('trace-1', chunk);
  }
  await store.close?.();
  return events.length;
}
