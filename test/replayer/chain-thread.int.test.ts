/**
 * The chain check of long Arrow folds on the chain thread (replayer/chain-pool.ts): the state and
 * the chain point are those of a fold here, and a broken chain stops the fold — and the stream —
 * at the first bad seq before any event of its record batch is applied, whichever thread checked
 * the batch.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Simulation, canonicalState, initialState, reduce, type MachineState, type TraceEvent } from '../../model/index.js';
import { ArrowSink, Recorder, sessionFactsFor } from '../../recorder/index.js';
import { CHAIN_START, openTraceFile, replayTrace, TraceChainError } from '../../replayer/index.js';
import { lastRowPoint } from '../../replayer/arrow-batch.js';
import { chainThreadReady } from '../../replayer/chain-pool.js';
import { findBuiltin } from '../../scenarios/index.js';
import { tempDir } from './helpers.js';

/** Small record batches: a few thousand events make a hundred batches, enough for the thread. */
const BATCH = 64;
let tmp: ReturnType<typeof tempDir>;
let path: string;
let emitted: TraceEvent[] = [];
let copies = 0;

beforeAll(async () => {
  tmp = tempDir();
  const sim = new Simulation(findBuiltin('demo')!, { seed: 4, requests: 150 });
  sim.events$.subscribe((e) => emitted.push(e));
  path = join(tmp.dir, 'small-batches.arrow');
  const recorder = new Recorder([ArrowSink.open(path, sessionFactsFor(sim))], { batchSize: BATCH }).attach(sim.events$);
  await sim.run();
  recorder.finish();
  expect(emitted.length).toBeGreaterThan(40 * BATCH);
  // Started and ready before the folds below, so that it takes part in them.
  expect(await chainThreadReady()).toBe(true);
});
afterAll(() => tmp.remove());

function foldEmitted(to: number): MachineState {
  const state = initialState(2);
  for (let i = 0; i <= to; i++) reduce(state, emitted[i]!);
  return state;
}

describe('a chain-checked Arrow fold with the chain thread', () => {
  it('gives the state and chain point of a fold of the recorded events', () => {
    const file = openTraceFile(path);
    try {
      const last = emitted[emitted.length - 1]!;
      for (let run = 0; run < 3; run++) {
        const state = initialState(2);
        const point = file.fold(state, 0, file.count - 1, CHAIN_START);
        expect(point).toEqual({ seq: last.seq, hash: last.hash, timeNs: last.timeNs });
        expect(canonicalState(state)).toEqual(canonicalState(foldEmitted(last.seq)));
      }
      // A range from the middle of one batch to the middle of another, from its chain point.
      const from = 5 * BATCH + 17;
      const to = emitted.length - BATCH / 2;
      const state = initialState(2);
      file.fold(state, 0, from - 1, CHAIN_START);
      const before = emitted[from - 1]!;
      const point = file.fold(state, from, to, { seq: before.seq, hash: before.hash, timeNs: before.timeNs });
      expect(point).toEqual({ seq: to, hash: emitted[to]!.hash, timeNs: emitted[to]!.timeNs });
      expect(canonicalState(state)).toEqual(canonicalState(foldEmitted(to)));
    } finally {
      file.close();
    }
  });

  it('reads the chain point of each batch\'s last row from the file alone', () => {
    const file = openTraceFile(path) as unknown as { batches: { first: number; rows: number }[]; fd: number; layouts: never };
    try {
      for (const entry of file.batches) {
        const last = emitted[entry.first + entry.rows - 1]!;
        expect(lastRowPoint(path, file.fd, entry as never, file.layouts)).toEqual({ seq: last.seq, hash: last.hash, timeNs: last.timeNs });
      }
    } finally {
      (file as unknown as { close(): void }).close();
    }
  });

  // A hash in the middle of a batch, on a batch's first row and on its last, far from the start (the thread's batches).
  it.each([40 * BATCH + 30, 50 * BATCH, 60 * BATCH - 1, 70 * BATCH + 5])('stops at a broken hash at seq %i, before folding its batch', async (seq) => {
    const copy = join(tmp.dir, `broken${copies++}.arrow`);
    copyFileSync(path, copy);
    const bytes = readFileSync(copy);
    const hash = emitted[seq]!.hash;
    const at = bytes.indexOf(hash, 0, 'latin1');
    expect(at).toBeGreaterThan(0);
    bytes.write(`${hash.slice(0, 15)}${hash[15] === 'a' ? 'b' : 'a'}`, at, 'latin1');
    writeFileSync(copy, bytes);

    const file = openTraceFile(copy);
    let seen = -1;
    try {
      expect(() => file.fold(initialState(2), 0, file.count - 1, CHAIN_START, (e) => { seen = e.seq; })).toThrow(TraceChainError);
      // Nothing of the broken batch was applied.
      expect(seen).toBe(seq - (seq % BATCH) - 1);
      let error: unknown = null;
      try {
        file.fold(initialState(2), 0, file.count - 1, CHAIN_START);
      } catch (thrown) {
        error = thrown;
      }
      expect((error as TraceChainError).seq).toBe(seq);
    } finally {
      file.close();
    }
    // The stream: every event before it, then the error naming it.
    const events: TraceEvent[] = [];
    const error = await new Promise<unknown>((resolve) => replayTrace(copy).subscribe({ next: (e) => events.push(e), error: resolve, complete: () => resolve(null) }));
    expect(error).toBeInstanceOf(TraceChainError);
    expect((error as TraceChainError).seq).toBe(seq);
    expect(events).toEqual(emitted.slice(0, seq));
  });

  it('streams every event back, chain checked', async () => {
    expect(await lastValueFrom(replayTrace(path).pipe(toArray()))).toEqual(emitted);
  });
});
