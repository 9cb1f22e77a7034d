import { EVENT_KINDS, type TraceEvent } from '../model/index.js';
import { zoneTerms, type EventFilter } from './filter.js';

/**
 * A zone map of one checkpoint interval: what its events can hold, so that searches skip the
 * intervals that cannot match. `[irpMin, irpMax, kinds, cpus]`: the range of IRP ids in the `irp`
 * and `master` columns (irpMin > irpMax: none), and bit masks of the kinds (EVENT_KINDS order)
 * and processors present — as plain numbers below 2^53, so the sidecar stays JSON.
 */
export type Zone = readonly [irpMin: number, irpMax: number, kinds: number, cpus: number];

const KIND_BIT = new Map<string, number>(EVENT_KINDS.map((k, i) => [k, 2 ** i]));

/** Accumulates a Zone over events. */
export class ZoneBuilder {
  private irpMin = Infinity;
  private irpMax = -Infinity;
  private kinds = 0;
  private cpus = 0;
  /** Bits already set, to add each power of two once (bitwise operators stop at 32 bits). */
  private readonly seenKinds = new Set<string>();
  private seenCpus = 0;

  add(e: TraceEvent): void {
    const irp = e.irp;
    if (irp !== null) {
      if (irp < this.irpMin) this.irpMin = irp;
      if (irp > this.irpMax) this.irpMax = irp;
    }
    const master = e.master;
    if (master !== null) {
      if (master < this.irpMin) this.irpMin = master;
      if (master > this.irpMax) this.irpMax = master;
    }
    if (!this.seenKinds.has(e.kind)) {
      this.seenKinds.add(e.kind);
      this.kinds += KIND_BIT.get(e.kind) ?? 0;
    }
    const cpu = e.cpu;
    if (cpu !== null && cpu < 32 && (this.seenCpus & (1 << cpu)) === 0) {
      this.seenCpus |= 1 << cpu;
      this.cpus += 2 ** cpu;
    }
  }

  /** The zone so far, and a fresh start. */
  take(): Zone {
    const zone: Zone = this.irpMin === Infinity ? [1, 0, this.kinds, this.cpus] : [this.irpMin, this.irpMax, this.kinds, this.cpus];
    this.irpMin = Infinity;
    this.irpMax = -Infinity;
    this.kinds = 0;
    this.cpus = 0;
    this.seenKinds.clear();
    this.seenCpus = 0;
    return zone;
  }
}

function hasBit(mask: number, bit: number): boolean {
  return Math.floor(mask / bit) % 2 === 1;
}

/** Whether an interval with this zone may hold an event matching the filter (false: skip it). */
export function zoneMayMatch(zone: Zone, filter: EventFilter): boolean {
  const { irp, kinds } = zoneTerms(filter);
  if (irp !== null && !irp.some((id) => id >= zone[0] && id <= zone[1])) return false;
  if (kinds !== null && !kinds.some((k) => hasBit(zone[2], KIND_BIT.get(k) ?? 0))) return false;
  for (const clause of filter.clauses) {
    if (clause.key === 'master' && !(clause.values as number[]).some((id) => id >= zone[0] && id <= zone[1])) return false;
    if (clause.key === 'cpu' && !(clause.values as number[]).some((c) => c >= 32 || hasBit(zone[3], 2 ** c))) return false;
  }
  return true;
}
