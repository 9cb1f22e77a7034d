import { Observable, type SchedulerLike } from 'rxjs';
import type { TraceEvent } from '../model/index.js';
import { CHAIN_START, type ChainPoint } from './chain.js';
import { SeqOutOfRangeError } from './errors.js';
import { openTraceFile } from './open.js';
import { paced } from './pace.js';
import type { TraceFile } from './trace-file.js';

export interface ReplayOptions {
  /** First seq to emit (default 0). */
  readonly from?: number;
  /** Last seq to emit (default: the last event). */
  readonly to?: number;
  /**
   * Check the hash chain as events stream (default true): the stream errors with a
   * TraceChainError naming the first bad seq, after emitting every event before it.
   */
  readonly verify?: boolean;
  /**
   * Pace the stream at the recorded simulated time scaled by this factor (1: real time, 1000: a
   * thousand times faster). Absent: as fast as possible.
   */
  readonly speed?: number;
  /** The scheduler of the paced mode (RxJS TestScheduler in tests). */
  readonly scheduler?: SchedulerLike;
}

/**
 * A trace read back as the very events that were recorded: same fields, same hashes, frozen,
 * in `seq` order. Cold: each subscription opens the file (when given a path) and closes it when
 * it completes, errors or unsubscribes. Unpaced, it emits a record batch (or page of rows) at a
 * time and yields to the event loop between them.
 *
 * @example
 * ```ts
 * replayTrace('traces/demo-seed1.arrow').pipe(filter((e) => e.kind === 'IrpCompleted')).subscribe(console.log);
 * await lastValueFrom(replayTrace(path, { speed: 0.001 }).pipe(count()));
 * ```
 */
export function replayTrace(source: string | TraceFile, options: ReplayOptions = {}): Observable<TraceEvent> {
  return new Observable<TraceEvent>((subscriber) => {
    let file: TraceFile;
    try {
      file = typeof source === 'string' ? openTraceFile(source) : source;
    } catch (error) {
      subscriber.error(error);
      return undefined;
    }
    let open = true;
    const close = (): void => {
      if (open && typeof source === 'string') file.close();
      open = false;
    };
    if (options.speed !== undefined) {
      const events = (function* () {
        for (const block of frozenBlocks(file, options)) yield* block;
      })();
      const subscription = paced(() => events, options.speed, options.scheduler).subscribe({
        next: (e) => subscriber.next(e),
        error: (error: unknown) => { close(); subscriber.error(error); },
        complete: () => { close(); subscriber.complete(); },
      });
      return () => {
        subscription.unsubscribe();
        try {
          events.return(undefined);
        } catch {
          // Nothing to report to a subscriber that left.
        }
        close();
      };
    }
    let immediate: NodeJS.Immediate | null = null;
    const blocks = frozenBlocks(file, options);
    const pump = (): void => {
      immediate = null;
      try {
        const next = blocks.next();
        if (next.done === true) {
          close();
          subscriber.complete();
          return;
        }
        for (const e of next.value) {
          subscriber.next(e);
          if (subscriber.closed) return;
        }
      } catch (error) {
        close();
        subscriber.error(error);
        return;
      }
      immediate = setImmediate(pump);
    };
    pump();
    return () => {
      if (immediate !== null) clearImmediate(immediate);
      // Ends the generator (its work handed to other threads ends with it), then the file.
      try {
        blocks.return(undefined);
      } catch {
        // Nothing to report to a subscriber that left.
      }
      close();
    };
  });
}

/** The range and chain start a replay asks for. */
function plan(file: TraceFile, options: ReplayOptions): { from: number; to: number; chain: ChainPoint | null } {
  const from = options.from ?? 0;
  const to = Math.min(options.to ?? file.count - 1, file.count - 1);
  if (file.count > 0 && (from < 0 || from >= file.count)) throw new SeqOutOfRangeError(file.path, from, file.count);
  if (options.verify === false) return { from, to, chain: null };
  if (from === 0) return { from, to, chain: CHAIN_START };
  const before = file.read(from - 1, from - 1)[0]!;
  return { from, to, chain: { seq: before.seq, hash: before.hash, timeNs: before.timeNs } };
}

function* frozenBlocks(file: TraceFile, options: ReplayOptions): Generator<TraceEvent[]> {
  const { from, to, chain } = plan(file, options);
  for (const block of file.blocks(from, to, chain)) {
    for (const e of block) Object.freeze(e);
    yield block;
  }
}
