import type { Observable, Subscription } from 'rxjs';
import type { TraceEvent } from '../model/index.js';

/** Counts of one run, gathered from its event stream (the simulator itself keeps no trace). */
export interface RunCounts {
  readonly byKind: Readonly<Record<string, number>>;
  readonly requests: { readonly issued: number; readonly completed: number };
  readonly irps: { readonly allocated: number; readonly freed: number; readonly live: number };
}

/**
 * Subscribes to a simulation's events and counts them by kind, plus the requests issued/completed
 * and the IRPs allocated/freed. Subscribe before `run()`; read `counts()` after it.
 *
 * @example
 * ```ts
 * const tally = new EventTally(sim.events$);
 * await sim.run();
 * console.log(tally.counts().irps.live);
 * ```
 */
export class EventTally {
  private readonly byKind = new Map<string, number>();
  private readonly subscription: Subscription;

  constructor(events$: Observable<TraceEvent>) {
    this.subscription = events$.subscribe((event) => {
      this.byKind.set(event.kind, (this.byKind.get(event.kind) ?? 0) + 1);
    });
  }

  counts(): RunCounts {
    this.subscription.unsubscribe();
    const count = (kind: TraceEvent['kind']): number => this.byKind.get(kind) ?? 0;
    const allocated = count('IrpAllocated');
    const freed = count('IrpFreed');
    // Most frequent first; ties by name, so the listing is stable.
    const sorted = [...this.byKind].sort(([ka, a], [kb, b]) => b - a || (ka < kb ? -1 : 1));
    return {
      byKind: Object.fromEntries(sorted),
      requests: { issued: count('RequestIssued'), completed: count('RequestCompleted') },
      irps: { allocated, freed, live: allocated - freed },
    };
  }
}
