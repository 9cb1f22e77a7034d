/** The value once the preemption point (if any) has passed, without a Promise when there was none. */
export function afterPoint<T>(point: void | Promise<void>, value: T): T | Promise<T> {
  return point === undefined ? value : point.then(() => value);
}
