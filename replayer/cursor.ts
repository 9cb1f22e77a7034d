import type { MachineState, TraceEvent } from '../model/index.js';
import type { EventFilter } from './filter.js';
import type { Timeline } from './timeline.js';

/**
 * A position in a trace with the machine state there, for stepping: `next` folds forward from the
 * state it has (a step costs one event), `prev` and `goto` seek from the nearest checkpoint.
 * `state` is updated in place by `next`: copy it (cloneState) to keep one.
 *
 * @example
 * ```ts
 * const cursor = new Cursor(timeline, 0);
 * cursor.next(10);
 * cursor.findNext('kind=IrpCompleted');
 * console.log(cursor.seq, cursor.event.kind, cursor.state.irps.size);
 * ```
 */
export class Cursor {
  private current: { seq: number; state: MachineState; event: TraceEvent };

  constructor(private readonly timeline: Timeline, seq = 0) {
    this.current = this.at(seq);
  }

  /** The event the cursor is on (its state is the state after it). */
  get seq(): number {
    return this.current.seq;
  }

  get event(): TraceEvent {
    return this.current.event;
  }

  get state(): MachineState {
    return this.current.state;
  }

  /** Moves `n` events forward (stops at the last event); returns how far it moved. */
  next(n = 1): number {
    const target = Math.min(this.timeline.count - 1, this.seq + Math.max(0, n));
    const moved = target - this.seq;
    if (moved === 0) return 0;
    if (moved > this.timeline.checkpoints.interval) {
      this.current = this.at(target);
      return moved;
    }
    const { event, state } = this.current;
    this.timeline.file.fold(state, this.seq + 1, target, { seq: event.seq, hash: event.hash, timeNs: event.timeNs });
    this.current = { seq: target, state, event: this.timeline.event(target) };
    return moved;
  }

  /** Moves `n` events back (stops at seq 0); returns how far it moved. */
  prev(n = 1): number {
    const target = Math.max(0, this.seq - Math.max(0, n));
    const moved = this.seq - target;
    if (moved > 0) this.current = this.at(target);
    return moved;
  }

  goto(seq: number): void {
    this.current = this.at(seq);
  }

  /** Moves to the next event matching the filter; null (and no move) when there is none. */
  findNext(filter: string | EventFilter): TraceEvent | null {
    const found = this.timeline.findNext(filter, this.seq);
    if (found !== null) this.moveTo(found.seq);
    return found;
  }

  /** Moves to the previous event matching the filter; null (and no move) when there is none. */
  findPrev(filter: string | EventFilter): TraceEvent | null {
    const found = this.timeline.findPrev(filter, this.seq);
    if (found !== null) this.moveTo(found.seq);
    return found;
  }

  private moveTo(seq: number): void {
    if (seq > this.seq) this.next(seq - this.seq);
    else this.goto(seq);
  }

  private at(seq: number): { seq: number; state: MachineState; event: TraceEvent } {
    const state = this.timeline.stateAt(seq);
    return { seq, state, event: this.timeline.event(seq) };
  }
}
