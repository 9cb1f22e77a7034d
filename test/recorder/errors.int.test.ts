import * as nodeFs from 'node:fs';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Simulation, type TraceEvent } from '../../model/index.js';
import {
  ArrowSink, DiskFullError, RecorderError, Recorder, readTraceInfo, recordRun, SCHEMA_VERSION, sessionFactsFor, TraceExistsError,
  TraceDamagedError, TraceFormatError, TraceNotFoundError, TraceUnwritableError, TraceValueError, TraceVersionError, TraceWriteError,
  type FileIo, type SqliteWriterPlacement,
} from '../../recorder/index.js';
import { findBuiltin } from '../../scenarios/index.js';
import { tempDir } from './helpers.js';

const demo = findBuiltin('demo')!;
let tmp: ReturnType<typeof tempDir>;
beforeAll(() => { tmp = tempDir(); });
afterAll(() => tmp.remove());

function sim(requests = 200): Simulation {
  return new Simulation(demo, { seed: 1, requests });
}

/** The error recordRun rejects with, checked to be a one-line RecorderError. */
async function failure(run: Promise<unknown>): Promise<RecorderError> {
  const error = await run.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(RecorderError);
  expect((error as Error).message).not.toContain('\n');
  return error as RecorderError;
}

/** Files in a directory (the leftovers of a failed recording). */
function filesIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

describe('an existing trace', () => {
  it('is refused without force and left untouched', async () => {
    const dir = join(tmp.dir, 'exists');
    const out = join(dir, 'run');
    await recordRun(sim(20), { out });
    const before = readFileSync(`${out}.sqlite`);
    const error = await failure(recordRun(sim(20), { out }));
    expect(error).toBeInstanceOf(TraceExistsError);
    expect(error.message).toBe(`a trace already exists at ${out}.sqlite (use --force to overwrite it)`);
    expect(readFileSync(`${out}.sqlite`).equals(before)).toBe(true);
    expect(filesIn(dir)).toEqual(['run.arrow', 'run.sqlite']);
  });

  it('is refused when only the Arrow file exists', async () => {
    const out = join(tmp.dir, 'exists-arrow');
    await recordRun(sim(20), { out, formats: ['arrow'] });
    expect(await failure(recordRun(sim(20), { out }))).toBeInstanceOf(TraceExistsError);
    expect(existsSync(`${out}.sqlite`)).toBe(false);
  });

  it('is replaced with force', async () => {
    const out = join(tmp.dir, 'forced');
    const first = await recordRun(sim(20), { out });
    const second = await recordRun(new Simulation(demo, { seed: 2, requests: 20 }), { out, force: true });
    expect(second.end.finalHash).not.toBe(first.end.finalHash);
    expect((await readTraceInfo(`${out}.sqlite`)).end).toEqual(second.end);
    expect((await readTraceInfo(`${out}.arrow`)).end).toEqual(second.end);
  });

  it('survives a forced run refused for its other file (a directory there): nothing is deleted before everything is checked', async () => {
    const out = join(tmp.dir, 'forced-refused');
    await recordRun(sim(20), { out });
    const before = readFileSync(`${out}.sqlite`);
    rmSync(`${out}.arrow`);
    mkdirSync(`${out}.arrow`);
    const error = await failure(recordRun(sim(20), { out, force: true }));
    expect(error).toBeInstanceOf(TraceUnwritableError);
    expect(error.message).toBe(`cannot write a trace at ${out}.arrow: it is a directory`);
    expect(readFileSync(`${out}.sqlite`).equals(before)).toBe(true);
  });

  it('force overwrites a trace, not another file that has its name', async () => {
    const out = join(tmp.dir, 'not-a-trace');
    writeFileSync(`${out}.sqlite`, 'my notes');
    const error = await failure(recordRun(sim(20), { out, force: true }));
    expect(error.message).toBe(`cannot write a trace at ${out}.sqlite: a file that is not an irptrace trace is there (not overwriting it, even with --force)`);
    expect(readFileSync(`${out}.sqlite`, 'utf8')).toBe('my notes');
  });
});

describe('an output path that cannot be written', () => {
  it('below a regular file', async () => {
    const file = join(tmp.dir, 'a-file');
    writeFileSync(file, 'not a directory');
    const error = await failure(recordRun(sim(), { out: join(file, 'run') }));
    expect(error).toBeInstanceOf(TraceUnwritableError);
    expect(error.message).toMatch(/^cannot write a trace at .*a-file\/run\.sqlite: /);
    expect(readFileSync(file, 'utf8')).toBe('not a directory');
  });

  it('in a directory that cannot be created', async () => {
    // Node's own recursive mkdir spins forever on this one.
    const error = await failure(recordRun(sim(), { out: '/proc/irptrace-cannot-be-here/deeper/run' }));
    expect(error).toBeInstanceOf(TraceUnwritableError);
    expect(error.message).toBe('cannot write a trace at /proc/irptrace-cannot-be-here/deeper/run.sqlite: no such file or directory');
  });

  it('with a file name the file system refuses', async () => {
    const dir = join(tmp.dir, 'long');
    const error = await failure(recordRun(sim(), { out: join(dir, 'x'.repeat(300)) }));
    expect(error).toBeInstanceOf(TraceUnwritableError);
    expect(error.message).toMatch(/: file name too long$/);
    expect(filesIn(dir)).toEqual([]);
  });
});

describe('a full disk', () => {
  it.each(['inline', 'worker'] as SqliteWriterPlacement[])('while SQLite (%s writer) writes: one line, no trace left', async (writer) => {
    const dir = join(tmp.dir, `full-sqlite-${writer}`);
    // max_page_count makes SQLite itself report SQLITE_FULL once the file reaches 50 pages.
    const error = await failure(recordRun(sim(), { out: join(dir, 'run'), sqliteWriter: writer, sqlitePragmas: ['max_page_count = 50'] }));
    expect(error).toBeInstanceOf(DiskFullError);
    expect(error.message).toBe(`no space left on the device while writing ${join(dir, 'run.sqlite')}; the partial trace was removed`);
    expect(filesIn(dir)).toEqual([]);
  });

  it('while Arrow writes: one line, no trace left', async () => {
    const dir = join(tmp.dir, 'full-arrow');
    const error = await failure(recordRun(sim(), { out: join(dir, 'run'), arrowIo: failingIo(200_000, 'ENOSPC') }));
    expect(error).toBeInstanceOf(DiskFullError);
    expect(filesIn(dir)).toEqual([]);
  });

  it('even before the schema is written', async () => {
    const dir = join(tmp.dir, 'full-at-once');
    expect(await failure(recordRun(sim(), { out: join(dir, 'run'), arrowIo: failingIo(0, 'ENOSPC') }))).toBeInstanceOf(DiskFullError);
    expect(filesIn(dir)).toEqual([]);
  });

  it('stops the simulation soon after', async () => {
    const s = new Simulation(demo, { seed: 1, requests: 100_000 });
    let emitted = 0;
    s.events$.subscribe(() => { emitted++; });
    await failure(recordRun(s, { out: join(tmp.dir, 'full-stop', 'run'), formats: ['arrow'], arrowIo: failingIo(100_000, 'ENOSPC') }));
    expect(emitted).toBeLessThan(20_000);
  });
});

describe('other write failures', () => {
  it('an I/O error is a TraceWriteError', async () => {
    const dir = join(tmp.dir, 'eio');
    const error = await failure(recordRun(sim(), { out: join(dir, 'run'), arrowIo: failingIo(100_000, 'EIO') }));
    expect(error).toBeInstanceOf(TraceWriteError);
    expect(error.message).toMatch(/writing .*run\.arrow failed: input\/output error; the partial trace was removed/);
    expect(filesIn(dir)).toEqual([]);
  });

  it.each(['inline', 'worker'] as SqliteWriterPlacement[])('the Arrow fsync failing at the end, while SQLite (%s writer) finishes: one line, no trace left', async (writer) => {
    const dir = join(tmp.dir, `eio-fsync-${writer}`);
    const io: FileIo = { ...failingIo(Infinity, 'EIO'), fsyncSync: () => { throw Object.assign(new Error('EIO: simulated'), { code: 'EIO' }); } };
    const error = await failure(recordRun(sim(), { out: join(dir, 'run'), sqliteWriter: writer, arrowIo: io }));
    expect(error).toBeInstanceOf(TraceWriteError);
    expect(error.message).toMatch(/writing .*run\.arrow failed: input\/output error; the partial trace was removed/);
    // The writer thread completed (or closed) the SQLite file before it was removed: nothing comes back.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(filesIn(dir)).toEqual([]);
  });

  it('a value a column cannot hold is a TraceValueError', () => {
    const path = join(tmp.dir, 'value.arrow');
    const sink = ArrowSink.open(path, sessionFactsFor(sim()));
    const recorder = new Recorder([sink]);
    recorder.push(fakeEvent({ seq: 0, loc: 1.5 }));
    expect(() => recorder.flush()).toThrow(TraceValueError);
    expect(() => recorder.flush()).toThrow('event 0: column loc cannot hold 1.5');
    recorder.abort();
  });
});

describe('reading something that is not a trace', () => {
  it('a missing file', async () => {
    await expect(readTraceInfo(join(tmp.dir, 'nothing.sqlite'))).rejects.toThrow(TraceNotFoundError);
  });

  it('a text file', async () => {
    const path = join(tmp.dir, 'text.sqlite');
    writeFileSync(path, 'hello, world, this is not a trace');
    await expect(readTraceInfo(path)).rejects.toThrow(TraceFormatError);
  });

  it('a SQLite database irptrace did not write', async () => {
    const path = join(tmp.dir, 'other.sqlite');
    new Database(path).exec('CREATE TABLE t (x)').close();
    await expect(readTraceInfo(path)).rejects.toThrow('it is a SQLite database, but not one irptrace wrote');
  });

  it('an Arrow stream without irptrace metadata', async () => {
    const path = join(tmp.dir, 'plain.arrow');
    writeFileSync(path, tableToIPC(tableFromArrays({ x: Int32Array.of(1, 2) }), 'stream'));
    await expect(readTraceInfo(path)).rejects.toThrow(TraceFormatError);
  });

  it('a SQLite trace cut short is called damaged or truncated, not foreign', async () => {
    const out = join(tmp.dir, 'cut');
    await recordRun(sim(200), { out, formats: ['sqlite'] });
    const path = `${out}.sqlite`;
    truncateSync(path, Math.floor(statSync(path).size / 2));
    await expect(readTraceInfo(path)).rejects.toThrow(TraceDamagedError);
    await expect(readTraceInfo(path)).rejects.toThrow(`${path} is a damaged or truncated trace`);
  });

  it('a trace from a newer irptrace', async () => {
    const out = join(tmp.dir, 'newer');
    await recordRun(sim(10), { out });
    const db = new Database(`${out}.sqlite`);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    await expect(readTraceInfo(`${out}.sqlite`)).rejects.toThrow(TraceVersionError);
    const table = tableFromArrays({ x: Int32Array.of(1) });
    table.schema.metadata.set('irptrace.schema', String(SCHEMA_VERSION + 1));
    writeFileSync(`${out}-2.arrow`, tableToIPC(table, 'stream'));
    await expect(readTraceInfo(`${out}-2.arrow`)).rejects.toThrow(`has trace schema version ${SCHEMA_VERSION + 1}`);
    expect(statSync(`${out}.arrow`).size).toBeGreaterThan(0);
  });
});

/** node:fs, except that writes fail with `code` once `budget` bytes have been written. */
function failingIo(budget: number, code: string): FileIo {
  let written = 0;
  return {
    openSync: (path, flags) => nodeFs.openSync(path, flags),
    writeSync: (fd, buffer, offset, length) => {
      if (written + length > budget) throw Object.assign(new Error(`${code}: simulated`), { code });
      written += length;
      return nodeFs.writeSync(fd, buffer, offset, length);
    },
    fsyncSync: (fd) => nodeFs.fsyncSync(fd),
    closeSync: (fd) => nodeFs.closeSync(fd),
    renameSync: (from, to) => nodeFs.renameSync(from, to),
  };
}

function fakeEvent(fields: Partial<Record<keyof TraceEvent, unknown>> & { seq: number }): TraceEvent {
  return Object.freeze({
    timeNs: 0, cpu: null, irql: null, kind: 'SessionStarted', activation: null, routine: null, driver: null, device: null, irp: null,
    master: null, major: null, loc: null, status: null, newIrql: null, dpc: null, lock: null, vector: null, result: null, api: null,
    detail: null, thread: null, hash: '0000000000000000', ...fields,
  }) as unknown as TraceEvent;
}

