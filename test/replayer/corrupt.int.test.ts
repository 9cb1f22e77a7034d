/**
 * Damaged traces: a flipped byte in a hash or a row (SQLite through a writable connection on a copy,
 * Arrow in the file's bytes) stops the stream at that seq with a TraceChainError, after every event
 * before it, and fails the checkpoint build the same way; an Arrow file cut short reads up to its
 * last whole batch; foreign files and newer schema versions are refused with typed errors.
 */
import { copyFileSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../model/index.js';
import { RecorderError, scanArrowTrace, TraceFormatError, TraceNotFoundError, TraceVersionError } from '../../recorder/index.js';
import { openTraceFile, ReplayError, replayTrace, Timeline, TraceChainError, TraceTruncatedError } from '../../replayer/index.js';
import { findBuiltin } from '../../scenarios/index.js';
import { positions, record, tempDir, type Recording } from './helpers.js';

let tmp: ReturnType<typeof tempDir>;
let demo: Recording;
let copies = 0;

beforeAll(async () => {
  tmp = tempDir();
  demo = await record(findBuiltin('demo')!, { seed: 2, requests: 150 }, { out: join(tmp.dir, 'demo') });
});
afterAll(() => tmp.remove());

function copyOf(format: 'sqlite' | 'arrow'): string {
  const path = join(tmp.dir, `copy${copies++}.${format}`);
  copyFileSync(demo.result.paths[format]!, path);
  return path;
}

function editSqlite(path: string, sql: string): void {
  const db = new Database(path);
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

/** Replays until the error; returns the events emitted before it and the error. */
async function replayUntilError(path: string): Promise<{ events: TraceEvent[]; error: unknown }> {
  const events: TraceEvent[] = [];
  const error = await new Promise<unknown>((resolve) => {
    replayTrace(path).subscribe({ next: (e) => events.push(e), error: resolve, complete: () => resolve(null) });
  });
  return { events, error };
}

async function expectBrokenAt(path: string, seq: number): Promise<void> {
  const { events, error } = await replayUntilError(path);
  expect(error).toBeInstanceOf(TraceChainError);
  expect((error as TraceChainError).seq).toBe(seq);
  expect((error as Error).message).toContain(`corrupted at seq ${seq}`);
  expect(events).toEqual(demo.emitted.slice(0, seq));
  // The checkpoint build walks the whole chain: it fails at the same event.
  expect(() => Timeline.open(path, { save: false })).toThrow(new RegExp(`corrupted at seq ${seq}:`));
}

describe('a corrupted SQLite trace', () => {
  it('with a flipped hash stops at that seq', async () => {
    const path = copyOf('sqlite');
    const seq = 321;
    const hash = demo.emitted[seq]!.hash;
    const flipped = `${hash.slice(0, 5)}${hash[5] === '0' ? '1' : '0'}${hash.slice(6)}`;
    editSqlite(path, `UPDATE events SET hash = '${flipped}' WHERE seq = ${seq}`);
    await expectBrokenAt(path, seq);
  });

  it('with a changed column stops at that row', async () => {
    const path = copyOf('sqlite');
    const seq = demo.emitted.find((e) => e.seq > 400 && e.loc !== null)!.seq;
    editSqlite(path, `UPDATE events SET loc = loc + 1 WHERE seq = ${seq}`);
    await expectBrokenAt(path, seq);
  });

  it('with a missing row stops where it is missing', async () => {
    const path = copyOf('sqlite');
    editSqlite(path, 'DELETE FROM events WHERE seq = 77');
    const { error } = await replayUntilError(path);
    expect((error as TraceChainError).seq).toBe(77);
  });

  it('from a newer irptrace is refused', () => {
    const path = copyOf('sqlite');
    editSqlite(path, 'PRAGMA user_version = 99');
    expect(() => openTraceFile(path)).toThrow(TraceVersionError);
  });

  it('cut short is refused', () => {
    const path = copyOf('sqlite');
    truncateSync(path, Math.floor(readFileSync(path).length / 2));
    expect(() => {
      const file = openTraceFile(path);
      try {
        file.read(0, file.count - 1);
      } finally {
        file.close();
      }
    }).toThrow(/is a damaged or truncated trace|is corrupted/);
  });
});

describe('a corrupted Arrow trace', () => {
  /** Overwrites the first occurrence of `text` in the file (which must hold it exactly once). */
  function replaceOnce(path: string, text: string, by: string): void {
    const bytes = readFileSync(path);
    const at = bytes.indexOf(text, 0, 'latin1');
    expect(at).toBeGreaterThan(0);
    expect(bytes.indexOf(text, at + 1, 'latin1')).toBe(-1);
    bytes.write(by, at, 'latin1');
    writeFileSync(path, bytes);
  }

  it('with a flipped byte in a hash stops at that seq', async () => {
    const path = copyOf('arrow');
    // In the second record batch (4096 events each).
    const seq = 4500;
    expect(demo.emitted.length).toBeGreaterThan(seq);
    const hash = demo.emitted[seq]!.hash;
    replaceOnce(path, hash, `${hash.slice(0, 15)}${hash[15] === 'a' ? 'b' : 'a'}`);
    await expectBrokenAt(path, seq);
  });

  it('with a flipped byte in a row stops at that row', async () => {
    const path = copyOf('arrow');
    // The SessionStarted detail is in the file once: change the seed it names.
    const detail = demo.emitted[0]!.detail!;
    replaceOnce(path, detail, detail.replace('"seed":2', '"seed":3'));
    await expectBrokenAt(path, 0);
  });

  it('cut short reads up to its last whole batch, wherever it is cut, as the recorder\'s reader does (docs/replay.md)', async () => {
    const bytes = readFileSync(demo.result.paths.arrow!);
    const path = join(tmp.dir, 'cut.arrow');
    for (const fraction of [0.3, 0.5, 0.999]) {
      const at = Math.floor(bytes.length * fraction);
      writeFileSync(path, bytes.subarray(0, at));
      const scan = await scanArrowTrace(path, () => {});
      expect(scan.truncated).toBe(true);
      const file = openTraceFile(path);
      try {
        expect(file.count).toBe(scan.rows);
        expect(file.end).toBeNull();
        expect(file.truncatedAt).toBeGreaterThan(0);
        expect(file.truncatedAt).toBeLessThan(at);
      } finally {
        file.close();
      }
      const { events, error } = await replayUntilError(path);
      expect(error).toBeNull();
      expect(events).toEqual(demo.emitted.slice(0, scan.rows));
    }
  });

  it('cut inside its end-of-stream marker, after the trailer batch, is whole: nothing is missing', () => {
    const bytes = readFileSync(demo.result.paths.arrow!);
    const path = join(tmp.dir, 'cut-eos.arrow');
    writeFileSync(path, bytes.subarray(0, bytes.length - 1));
    const file = openTraceFile(path);
    try {
      expect(file.truncatedAt).toBeNull();
      expect(file.end).not.toBeNull();
      expect(file.count).toBe(demo.emitted.length);
    } finally {
      file.close();
    }
  });

  it('an Arrow IPC *file* or other bytes that do not start a stream are not an Arrow IPC stream (as info says), not "truncated"', () => {
    const path = join(tmp.dir, 'arrow-file.arrow');
    writeFileSync(path, Buffer.concat([Buffer.from('ARROW1\0\0'), Buffer.alloc(64, 7)]));
    expect(() => openTraceFile(path)).toThrow(/not an Arrow IPC stream/);
  });

  it('cut inside its schema is refused', () => {
    const path = join(tmp.dir, 'cut-schema.arrow');
    writeFileSync(path, readFileSync(demo.result.paths.arrow!).subarray(0, 40));
    expect(() => openTraceFile(path)).toThrow(TraceTruncatedError);
  });
});

describe('random damage', () => {
  it.each(['sqlite', 'arrow'] as const)('is always a typed error or an intact read, never a crash (%s)', async (format) => {
    const bytes = readFileSync(demo.result.paths[format]!);
    const path = join(tmp.dir, `flipped.${format}`);
    for (const at of positions(format === 'sqlite' ? 3 : 4, 40, bytes.length)) {
      const copy = Buffer.from(bytes);
      copy[at] = copy[at]! ^ (1 << (at % 8));
      writeFileSync(path, copy);
      try {
        await lastValueFrom(replayTrace(path).pipe(toArray()));
        const timeline = Timeline.open(path, { save: false });
        timeline.stateAt(timeline.count - 1);
        timeline.close();
      } catch (error) {
        expect(error instanceof ReplayError || error instanceof RecorderError, `byte ${at}: ${String(error)}`).toBe(true);
      }
    }
  });
});

describe('files that are not traces', () => {
  it('are refused by name', () => {
    const text = join(tmp.dir, 'notes.txt');
    writeFileSync(text, 'not a trace at all, just some text\n');
    expect(() => openTraceFile(text)).toThrow(TraceFormatError);
    expect(() => openTraceFile(join(tmp.dir, 'missing.sqlite'))).toThrow(TraceNotFoundError);
  });
});

describe('an intact trace', () => {
  it('streams to the end with no error', async () => {
    for (const format of ['sqlite', 'arrow'] as const) {
      expect(await lastValueFrom(replayTrace(demo.result.paths[format]!).pipe(toArray()))).toHaveLength(demo.emitted.length);
    }
  });
});
