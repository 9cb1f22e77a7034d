/** Something the machine does at a simulated time: a device interrupt, a thread waking up. */
export interface Timer {
  readonly at: number;
  readonly fire: () => void;
}

/**
 * A binary min-heap of timers ordered by time, then by insertion order, so that equal times fire
 * in a deterministic order.
 */
export class TimerQueue {
  private readonly heap: { at: number; order: number; fire: () => void }[] = [];
  private order = 0;

  get size(): number {
    return this.heap.length;
  }

  peekTime(): number {
    return this.heap.length > 0 ? this.heap[0]!.at : Infinity;
  }

  push(at: number, fire: () => void): void {
    const h = this.heap;
    const item = { at, order: this.order++, fire };
    let i = h.length;
    h.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(item, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = item;
  }

  pop(): Timer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined) return undefined;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && less(h[r]!, h[l]!) ? r : l;
        if (!less(h[c]!, last)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

function less(a: { at: number; order: number }, b: { at: number; order: number }): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}
