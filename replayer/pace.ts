import { asyncScheduler, Observable, type SchedulerLike } from 'rxjs';

/**
 * Emits events at their recorded simulated times, scaled: the first event at once, then each
 * event `(timeNs - first.timeNs) / 1e6 / speed` ms after the start (`speed` 1: real time; 1000: a
 * thousand times faster; 0.001: a thousand times slower). Events due at the same moment go out
 * together; the schedule follows the scheduler's clock, so a slow subscriber does not accumulate
 * drift. The only mode that uses timers: test it with RxJS's TestScheduler (`scheduler`).
 *
 * `events` is called once per subscription and pulled lazily: a long trace is never held in memory.
 * An error thrown while pulling (a broken chain) errors the stream.
 *
 * @example
 * ```ts
 * paced(() => trace.read(0, 99)[Symbol.iterator](), 0.01).subscribe((e) => console.log(e.seq));
 * ```
 */
export function paced<T extends { readonly timeNs: number }>(events: () => Iterator<T>, speed: number, scheduler: SchedulerLike = asyncScheduler): Observable<T> {
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`speed must be a positive number, not ${speed}`);
  return new Observable<T>((subscriber) => {
    let iterator: Iterator<T>;
    let next: IteratorResult<T>;
    try {
      iterator = events();
      next = iterator.next();
    } catch (error) {
      subscriber.error(error);
      return undefined;
    }
    if (next.done === true) {
      subscriber.complete();
      return undefined;
    }
    const first = next.value.timeNs;
    const start = scheduler.now();
    const due = (e: T): number => start + (e.timeNs - first) / 1e6 / speed;
    const subscription = scheduler.schedule(function tick() {
      const now = scheduler.now();
      try {
        while (next.done !== true && due(next.value) <= now) {
          subscriber.next(next.value);
          if (subscriber.closed) return;
          next = iterator.next();
        }
      } catch (error) {
        subscriber.error(error);
        return;
      }
      if (next.done === true) subscriber.complete();
      else this.schedule(undefined, due(next.value) - now);
    });
    return () => {
      subscription.unsubscribe();
      iterator.return?.();
    };
  });
}
