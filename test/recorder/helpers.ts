/**
 * Helpers for the recorder's integration tests: temporary directories, a recording that also keeps
 * what the simulation emitted, and the checks every trace (complete or killed) must pass.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { Simulation, type RunConfig, type ScenarioDefinition, type TraceEvent } from '../../model/index.js';
import {
  checkChain, eventsOfBatch, iterateSqliteEvents, openSqliteTrace, readSqliteSession, recordRun, scanArrowTrace,
  type ArrowScan, type RecordOptions, type RecordResult, type StoredSession,
} from '../../recorder/index.js';

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(): { readonly dir: string; readonly remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'irptrace-recorder-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Records a run and returns, besides the result, every event the simulation emitted. */
export async function recordWithEvents(
  scenario: ScenarioDefinition, config: Partial<RunConfig>, options: RecordOptions,
): Promise<{ readonly emitted: TraceEvent[]; readonly result: RecordResult }> {
  const sim = new Simulation(scenario, config);
  const emitted: TraceEvent[] = [];
  sim.events$.subscribe((e) => emitted.push(e));
  const result = await recordRun(sim, options);
  return { emitted, result };
}

/** What a SQLite trace holds, checked: integrity, seq dense from 0, the hash chain. */
export function checkSqliteTrace(path: string): StoredSession & { readonly events: number; readonly lastHash: string } {
  const db = openSqliteTrace(path);
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const session = readSqliteSession(db, path);
    const chain = checkChain(iterateSqliteEvents(db));
    expect(chain.problems).toEqual([]);
    const { n, top } = db.prepare('SELECT count(*) AS n, max(seq) AS top FROM events').get() as { n: number; top: number | null };
    expect(n).toBe(chain.events);
    expect(top ?? -1).toBe(n - 1);
    return { ...session, events: chain.events, lastHash: chain.lastHash };
  } finally {
    db.close();
  }
}

/** What an Arrow trace holds, checked: readable up to its last whole batch, the hash chain. */
export async function checkArrowTrace(path: string): Promise<ArrowScan & { readonly lastHash: string }> {
  const events: TraceEvent[] = [];
  const scan = await scanArrowTrace(path, (batch) => {
    for (const e of eventsOfBatch(batch)) events.push(e);
  });
  const chain = checkChain(events);
  expect(chain.problems).toEqual([]);
  expect(chain.events).toBe(scan.rows);
  return { ...scan, lastHash: chain.lastHash };
}
