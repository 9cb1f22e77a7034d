/**
 * Long SQLite replays read their pages on the page thread (replayer/sqlite-pages.ts): the same
 * events, the same state, and a broken chain stops at the same seq after the same events.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalState, initialState, reduce, type TraceEvent } from '../../model/index.js';
import { CHAIN_START, openTraceFile, replayTrace, sqlitePageThreadReady, TraceChainError } from '../../replayer/index.js';
import { findBuiltin } from '../../scenarios/index.js';
import { record, tempDir } from './helpers.js';

/** Rows per page in sqlite-file.ts, and pages a range needs for the thread. */
const PAGE = 4096;
let tmp: ReturnType<typeof tempDir>;
let path: string;
let emitted: TraceEvent[];

beforeAll(async () => {
  tmp = tempDir();
  const recording = await record(findBuiltin('demo')!, { seed: 6, requests: 1500 }, { out: join(tmp.dir, 'long'), formats: ['sqlite'] });
  emitted = recording.emitted;
  path = recording.result.paths.sqlite!;
  expect(emitted.length).toBeGreaterThan(8 * PAGE);
  expect(await sqlitePageThreadReady()).toBe(true);
}, 120_000);
afterAll(() => tmp.remove());

describe('a long SQLite replay with the page thread', () => {
  it('folds to the state of the recorded events, and streams them back', async () => {
    const file = openTraceFile(path);
    try {
      const expected = initialState(2);
      for (const e of emitted) reduce(expected, e);
      for (const chain of [CHAIN_START, null]) {
        const state = initialState(2);
        file.fold(state, 0, file.count - 1, chain);
        expect(canonicalState(state)).toEqual(canonicalState(expected));
      }
    } finally {
      file.close();
    }
    expect(await lastValueFrom(replayTrace(path).pipe(toArray()))).toEqual(emitted);
    expect(await lastValueFrom(replayTrace(path, { from: PAGE + 5, to: 9 * PAGE + 7 }).pipe(toArray()))).toEqual(emitted.slice(PAGE + 5, 9 * PAGE + 8));
  });

  it('stops at a broken hash far from the start, after every event before it', async () => {
    const copy = join(tmp.dir, 'broken.sqlite');
    copyFileSync(path, copy);
    const seq = 6 * PAGE + 123;
    const hash = emitted[seq]!.hash;
    const db = new Database(copy);
    db.prepare('UPDATE events SET hash = ? WHERE seq = ?').run(`${hash.slice(0, 15)}${hash[15] === 'a' ? 'b' : 'a'}`, seq);
    db.close();
    const events: TraceEvent[] = [];
    const error = await new Promise<unknown>((resolve) => replayTrace(copy).subscribe({ next: (e) => events.push(e), error: resolve, complete: () => resolve(null) }));
    expect(error).toBeInstanceOf(TraceChainError);
    expect((error as TraceChainError).seq).toBe(seq);
    expect(events).toEqual(emitted.slice(0, seq));
  });
});
