/**
 * Streaming a trace back (replayer/stream.ts): the very events that were recorded, from SQLite and
 * from Arrow, for every built-in scenario; ranges, early unsubscription, dictionaries that restart;
 * and the paced mode on a virtual clock.
 */
import { join } from 'node:path';
import { lastValueFrom, take, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Simulation, type TraceEvent } from '../../model/index.js';
import { ArrowSink, Recorder, SqliteSink, sessionFactsFor } from '../../recorder/index.js';
import { paced, replayTrace } from '../../replayer/index.js';
import { BUILTIN_SCENARIOS, findBuiltin } from '../../scenarios/index.js';
import { record, tempDir, type Recording } from './helpers.js';

let tmp: ReturnType<typeof tempDir>;
const recordings = new Map<string, Recording>();

beforeAll(async () => {
  tmp = tempDir();
  for (const scenario of BUILTIN_SCENARIOS) {
    recordings.set(scenario.name, await record(scenario, { seed: 7, cpus: 2, requests: 12 }, { out: join(tmp.dir, scenario.name) }));
  }
});
afterAll(() => tmp.remove());

describe('replayTrace', () => {
  it.each(BUILTIN_SCENARIOS.map((s) => s.name))('gives back the recorded events of %s from SQLite and Arrow, frozen', async (name) => {
    const { emitted, result } = recordings.get(name)!;
    expect(emitted.length).toBeGreaterThan(10);
    for (const path of [result.paths.sqlite!, result.paths.arrow!]) {
      const events = await lastValueFrom(replayTrace(path).pipe(toArray()));
      expect(events).toEqual(emitted);
      expect(events.every((e) => Object.isFrozen(e))).toBe(true);
      // Same fields in the same order as the simulator's (one hidden class for both).
      expect(Object.keys(events[0]!)).toEqual(Object.keys(emitted[0]!));
    }
  });

  it('streams a range, and stops reading when the subscriber has enough', async () => {
    const { emitted, result } = recordings.get('demo')!;
    for (const path of [result.paths.sqlite!, result.paths.arrow!]) {
      expect(await lastValueFrom(replayTrace(path, { from: 100, to: 140 }).pipe(toArray()))).toEqual(emitted.slice(100, 141));
      expect(await lastValueFrom(replayTrace(path, { from: 5 }).pipe(take(3), toArray()))).toEqual(emitted.slice(5, 8));
    }
  });

  it('reads Arrow dictionaries that restart (replacement dictionaries) and small batches', async () => {
    const sim = new Simulation(findBuiltin('demo')!, { seed: 5, requests: 40 });
    const emitted: TraceEvent[] = [];
    sim.events$.subscribe((e) => emitted.push(e));
    const facts = sessionFactsFor(sim);
    const arrow = join(tmp.dir, 'restart.arrow');
    const sqlite = join(tmp.dir, 'restart.sqlite');
    const recorder = new Recorder([ArrowSink.open(arrow, facts), SqliteSink.open(sqlite, facts)], { batchSize: 16, dictionaryLimit: 60 }).attach(sim.events$);
    await sim.run();
    recorder.finish();
    expect(await lastValueFrom(replayTrace(arrow).pipe(toArray()))).toEqual(emitted);
    expect(await lastValueFrom(replayTrace(sqlite).pipe(toArray()))).toEqual(emitted);
  });
});

describe('paced replay', () => {
  const at = (seq: number, timeNs: number): { seq: number; timeNs: number } => ({ seq, timeNs });

  it('emits events at their simulated times scaled by the speed (virtual clock)', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    scheduler.run(({ expectObservable }) => {
      // 0, 2 ms, 2 ms and 5 ms of simulated time at speed 0.5: 0, 4, 4 and 10 ms (a group's parentheses take frames too).
      const events = [at(0, 0), at(1, 2e6), at(2, 2e6), at(3, 5e6)];
      expectObservable(paced(() => events[Symbol.iterator](), 0.5, scheduler)).toBe('a 3ms (bc) 2ms (d|)', {
        a: events[0], b: events[1], c: events[2], d: events[3],
      });
    });
  });

  it('paces a real trace with real timers', async () => {
    const { emitted, result } = recordings.get('demo')!;
    // The demo's first 60 events span some µs of simulated time: at speed 0.0002, several ms.
    const last = emitted[59]!.timeNs;
    const speed = last / 1e6 / 40; // 40 ms in all
    const started = performance.now();
    const events = await lastValueFrom(replayTrace(result.paths.arrow!, { to: 59, speed }).pipe(toArray()));
    const elapsed = performance.now() - started;
    expect(events).toEqual(emitted.slice(0, 60));
    expect(elapsed).toBeGreaterThanOrEqual(35);
    expect(elapsed).toBeLessThan(2000);
  });
});
