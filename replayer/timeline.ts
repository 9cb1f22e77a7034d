import type { MachineState, TraceEvent } from '../model/index.js';
import { Checkpoints } from './checkpoints.js';
import { SeqOutOfRangeError } from './errors.js';
import { parseFilter, type EventFilter } from './filter.js';
import { openTraceFile } from './open.js';
import type { TraceFile } from './trace-file.js';
import { zoneMayMatch } from './zones.js';

export interface TimelineOptions {
  /** Events between checkpoints (default: by format, DEFAULT_INTERVAL); a sidecar with another interval is rebuilt. */
  readonly interval?: number;
  /** Write the checkpoints sidecar when building it (default true). */
  readonly save?: boolean;
  /** Progress of a checkpoint build (events folded so far, of total). */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Time travel over one trace: the machine state at any `seq` (after that event is applied),
 * rebuilt with the model's `reduce` from the nearest checkpoint — at most one checkpoint interval
 * of events read (`WHERE seq BETWEEN` in SQLite, one record batch in Arrow) and folded, with the
 * hash chain checked on the way — and searches that skip intervals by their zone maps.
 *
 * Opening builds the checkpoints on first use (a full pass that checks the whole chain) and keeps
 * them in the `<trace>.checkpoints` sidecar.
 *
 * @example
 * ```ts
 * const timeline = Timeline.open('traces/demo-seed1.arrow');
 * const state = timeline.stateAt(123_456);          // MachineState after event 123456
 * const next = timeline.findNext('kind=IrpCompleted irp=42', 123_456);
 * timeline.close();
 * ```
 */
export class Timeline {
  private constructor(readonly file: TraceFile, readonly checkpoints: Checkpoints, private readonly owned: boolean) {}

  static open(source: string | TraceFile, options: TimelineOptions = {}): Timeline {
    const file = typeof source === 'string' ? openTraceFile(source) : source;
    try {
      return new Timeline(file, Checkpoints.forTrace(file, options), typeof source === 'string');
    } catch (error) {
      if (typeof source === 'string') file.close();
      throw error;
    }
  }

  get path(): string {
    return this.file.path;
  }

  /** Events in the trace: seq 0 … count - 1. */
  get count(): number {
    return this.file.count;
  }

  /** A fresh MachineState after event `seq`, the caller's to keep or fold on. */
  stateAt(seq: number): MachineState {
    this.check(seq);
    const j = this.checkpoints.nearest(seq);
    const state = this.checkpoints.state(j);
    const point = this.checkpoints.point(j);
    this.file.fold(state, point.seq + 1, seq, point);
    return state;
  }

  /** Event `seq`, frozen. */
  event(seq: number): TraceEvent {
    this.check(seq);
    return Object.freeze(this.file.read(seq, seq)[0]!);
  }

  /** Events `from`…`to`, frozen. */
  events(from: number, to: number): TraceEvent[] {
    return this.file.read(from, to).map((e) => Object.freeze(e));
  }

  /** The first event after `after` matching the filter (text or parsed), or null. */
  findNext(filter: string | EventFilter, after: number): TraceEvent | null {
    const seq = this.search(typeof filter === 'string' ? parseFilter(filter) : filter, after + 1, this.count - 1, 1);
    return seq === null ? null : this.event(seq);
  }

  /** The last event before `before` matching the filter, or null. */
  findPrev(filter: string | EventFilter, before: number): TraceEvent | null {
    const seq = this.search(typeof filter === 'string' ? parseFilter(filter) : filter, 0, before - 1, -1);
    return seq === null ? null : this.event(seq);
  }

  /**
   * One IRP's life: every event whose `irp` is it — from IrpAllocated to IrpFreed, and any access
   * after — and every event whose `master` is it (its associated IRPs' allocations), in seq order.
   */
  irpHistory(irp: number): TraceEvent[] {
    const own = parseFilter(`irp=${irp}`);
    const associated = parseFilter(`master=${irp}`);
    const seqs = new Set<number>();
    for (const [from, to] of this.candidateRanges(own, 0, this.count - 1, 1)) {
      for (const s of this.file.findAll(own, from, to)) seqs.add(s);
      for (const s of this.file.findAll(associated, from, to)) seqs.add(s);
    }
    return [...seqs].sort((a, b) => a - b).map((s) => this.event(s));
  }

  close(): void {
    if (this.owned) this.file.close();
  }

  private check(seq: number): void {
    if (!Number.isSafeInteger(seq) || seq < 0 || seq >= this.count) throw new SeqOutOfRangeError(this.path, seq, this.count);
  }

  private search(filter: EventFilter, from: number, to: number, direction: 1 | -1): number | null {
    for (const [lo, hi] of this.candidateRanges(filter, from, to, direction)) {
      const seq = this.file.find(filter, lo, hi, direction);
      if (seq !== null) return seq;
    }
    return null;
  }

  /** Ranges within `from`…`to` whose intervals' zones may match, merged, in the search's direction. */
  private *candidateRanges(filter: EventFilter, from: number, to: number, direction: 1 | -1): Generator<readonly [number, number]> {
    const lo = Math.max(0, from);
    const hi = Math.min(to, this.count - 1);
    if (lo > hi) return;
    const k = this.checkpoints.interval;
    const first = Math.floor((direction === 1 ? lo : hi) / k);
    const last = Math.floor((direction === 1 ? hi : lo) / k);
    let run: [number, number] | null = null;
    for (let j = first; direction === 1 ? j <= last : j >= last; j += direction) {
      if (zoneMayMatch(this.checkpoints.zone(j), filter)) {
        const start = Math.max(lo, j * k);
        const end = Math.min(hi, (j + 1) * k - 1);
        if (run === null) run = [start, end];
        else if (direction === 1) run[1] = end;
        else run[0] = start;
      } else if (run !== null) {
        yield run;
        run = null;
      }
    }
    if (run !== null) yield run;
  }
}
