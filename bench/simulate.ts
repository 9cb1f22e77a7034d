import { Subject } from 'rxjs';
import { ChainHasher, Simulation, type TraceEvent } from '../model/index.js';
import demo from '../scenarios/demo.js';

/** One measured figure: the best of several runs (the least disturbed by a shared machine). */
export interface Figure {
  readonly name: string;
  readonly eventsPerSecond: number;
  readonly runs: readonly number[];
}

/** Simulate-only: the demo workload until `events` events, every event through the RxJS stream. */
export async function simulateOnce(events: number, seed = 1): Promise<number> {
  const sim = new Simulation(demo, { seed, cpus: 2, requests: Math.ceil(events / 40), maxEvents: events });
  let n = 0;
  sim.events$.subscribe(() => { n++; });
  const t0 = performance.now();
  const summary = await sim.run();
  const seconds = (performance.now() - t0) / 1000;
  if (n !== summary.events) throw new Error(`stream delivered ${n} of ${summary.events} events`);
  return summary.events / seconds;
}

/**
 * Baseline: the floor every simulated event pays whatever the kernel does — build a frozen event of
 * the same shape, hash it onto the chain, push it through a Subject to one subscriber.
 */
export function envelopeOnce(events: number): number {
  const subject = new Subject<TraceEvent>();
  let n = 0;
  subject.subscribe(() => { n++; });
  const hasher = new ChainHasher();
  const t0 = performance.now();
  for (let i = 0; i < events; i++) {
    const base = {
      seq: i, timeNs: i * 100, cpu: i & 1, irql: 0, kind: 'IrpCalled', activation: i - 3, routine: 'FilterDispatchRead', driver: 'filter',
      device: 'disk0.fdo', irp: i >> 4, master: null, major: 'IRP_MJ_READ', loc: 2, status: null, newIrql: null, dpc: null, lock: null,
      vector: null, result: null, api: null, detail: null, thread: 2, hash: '',
    };
    base.hash = hasher.next(base as unknown as TraceEvent);
    subject.next(Object.freeze(base) as unknown as TraceEvent);
  }
  const seconds = (performance.now() - t0) / 1000;
  if (n !== events) throw new Error('lost events');
  return events / seconds;
}

export async function best(name: string, runs: number, once: () => Promise<number> | number): Promise<Figure> {
  const all: number[] = [];
  for (let i = 0; i < runs; i++) all.push(await once());
  return { name, eventsPerSecond: Math.max(...all), runs: all };
}
