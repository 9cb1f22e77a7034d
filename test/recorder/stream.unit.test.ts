import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../model/index.js';
import { Recorder, type EventBatch, type SessionEnd, type TraceSink } from '../../recorder/index.js';
import { DictionaryMirror, Packer, TEXT_COLUMNS } from '../../recorder/columnar.js';

/** A sink that keeps what it is given (the port's in-memory adapter). */
class MemorySink implements TraceSink {
  readonly path = 'memory';
  readonly batches: number[][] = [];
  flushes = 0;
  end: SessionEnd | null = null;
  closed = false;
  failOnAppend = false;

  append(batch: EventBatch): void {
    if (this.failOnAppend) throw new Error('disk on fire');
    this.batches.push(batch.events.map((e) => e.seq));
  }
  flush(): void { this.flushes++; }
  finish(end: SessionEnd): void { this.end = end; }
  close(): void { this.closed = true; }
}

function event(seq: number, kind = 'IrqlRaised', more: Partial<Record<keyof TraceEvent, unknown>> = {}): TraceEvent {
  return Object.freeze({
    seq, timeNs: seq * 10, cpu: 0, irql: 0, kind, activation: null, routine: null, driver: null, device: null, irp: null, master: null,
    major: null, loc: null, status: null, newIrql: 2, dpc: null, lock: null, vector: null, result: null, api: kind === 'SessionEnded' ? 'completed' : null,
    detail: null, thread: null, hash: seq.toString(16).padStart(16, '0'), ...more,
  }) as unknown as TraceEvent;
}

describe('Recorder batching', () => {
  it('writes full batches, the rest on completion, then the end facts', () => {
    const sink = new MemorySink();
    const events$ = new Subject<TraceEvent>();
    const recorder = new Recorder([sink], { batchSize: 40, now: () => 0 }).attach(events$);
    for (let i = 0; i < 99; i++) events$.next(event(i));
    events$.next(event(99, 'SessionEnded'));
    expect(sink.batches.map((b) => b.length)).toEqual([40, 40]);
    events$.complete();
    expect(sink.batches.map((b) => b.length)).toEqual([40, 40, 20]);
    expect(sink.batches.flat()).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const end = recorder.finish(undefined, new Date(0));
    expect(end).toEqual({ endedAt: '1970-01-01T00:00:00.000Z', endReason: 'completed', eventCount: 100, finalHash: event(99).hash });
    expect(sink.end).toEqual(end);
  });

  it('writes a batch once its oldest event has waited maxLatencyMs', () => {
    let now = 0;
    const sink = new MemorySink();
    const recorder = new Recorder([sink], { batchSize: 4096, maxLatencyMs: 200, now: () => now });
    for (let i = 0; i < 64; i++) recorder.push(event(i));
    expect(sink.batches).toEqual([]);
    now = 250;
    // The clock is read every 64 events.
    for (let i = 64; i < 128; i++) recorder.push(event(i));
    expect(sink.batches.map((b) => b.length)).toEqual([128]);
    recorder.abort();
  });

  it('reports progress after every batch', () => {
    const progress: number[] = [];
    const recorder = new Recorder([new MemorySink()], { batchSize: 50, now: () => 0, onProgress: (p) => progress.push(p.events) });
    for (let i = 0; i < 120; i++) recorder.push(event(i));
    recorder.flush();
    expect(progress).toEqual([50, 100, 120]);
    recorder.abort();
  });

  it('refuses an out-of-order stream', () => {
    const failures: unknown[] = [];
    const recorder = new Recorder([new MemorySink()], { onFailure: (e) => failures.push(e) });
    recorder.push(event(0));
    recorder.push(event(2));
    expect(String(failures[0])).toContain('expected seq 1, got 2');
    expect(() => recorder.flush()).toThrow('expected seq 1, got 2');
    recorder.abort();
  });

  it('stops writing after a sink fails, tells the caller once, and throws at the end', () => {
    const sink = new MemorySink();
    const failures: unknown[] = [];
    const recorder = new Recorder([sink], { batchSize: 10, now: () => 0, onFailure: (e) => failures.push(e) });
    for (let i = 0; i < 10; i++) recorder.push(event(i));
    sink.failOnAppend = true;
    for (let i = 10; i < 30; i++) recorder.push(event(i));
    expect(failures).toHaveLength(1);
    expect(() => recorder.finish('completed')).toThrow('disk on fire');
    recorder.abort();
    expect(sink.closed).toBe(true);
    expect(sink.end).toBeNull();
  });

  it('checks its limits', () => {
    expect(() => new Recorder([], { batchSize: 100, dictionaryLimit: 120 })).toThrow(RangeError);
    expect(() => new Recorder([], { batchSize: 0 })).toThrow(RangeError);
  });
});

describe('Packer dictionaries', () => {
  it('codes strings once, restarts at batch boundaries when full, and a mirror follows', () => {
    const packer = new Packer(60);
    const mirror = new DictionaryMirror();
    const device = TEXT_COLUMNS.indexOf('device');
    let seq = 0;
    let restarts = 0;
    for (let b = 0; b < 20; b++) {
      const events = Array.from({ length: 10 }, () => event(seq, 'IrpCalled', { device: `dev${seq++ % 37}` }));
      const batch = packer.pack(events);
      mirror.apply(batch);
      if ((batch.resets & (1 << device)) !== 0) restarts++;
      for (let i = 0; i < batch.length; i++) {
        expect(mirror.strings[device]![batch.codes[device * batch.length + i]!]).toBe(events[i]!.device);
        expect(mirror.strings[TEXT_COLUMNS.indexOf('kind')]![batch.codes[i]!]).toBe('IrpCalled');
      }
      expect(mirror.strings[device]!.length).toBeLessThanOrEqual(60);
    }
    expect(restarts).toBe(0);
    // 37 distinct names never fill 60 codes; 200 distinct ones restart the dictionary.
    const small = new Packer(60);
    let restarted = 0;
    for (let b = 0; b < 20; b++) {
      const batch = small.pack(Array.from({ length: 10 }, () => event(seq, 'IrpCalled', { device: `dev${seq++}` })));
      if ((batch.resets & (1 << device)) !== 0) restarted++;
    }
    expect(restarted).toBeGreaterThan(2);
  });

  it('keeps NULL apart from every string, and integers exact', () => {
    const batch = new Packer().pack([event(0, 'IrpCalled', { irp: 2 ** 40 + 3, status: 0xc0000016, routine: '' }), event(1)]);
    const ints = (c: number, i: number) => batch.ints[c * batch.length + i];
    expect(ints(5, 0)).toBe(2 ** 40 + 3);
    expect(ints(8, 0)).toBe(0xc0000016);
    expect(Number.isNaN(ints(5, 1))).toBe(true);
    const routine = TEXT_COLUMNS.indexOf('routine');
    expect(batch.codes[routine * 2]).toBe(0);
    expect(batch.codes[routine * 2 + 1]).toBe(-1);
    expect(batch.added[routine]).toEqual(['']);
    expect(batch.hashes).toBe(event(0).hash + event(1).hash);
  });
});
