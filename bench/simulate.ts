import { createHook } from 'node:async_hooks';
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

/** One event of the floor: built with the shape of the emitter's, hashed onto the chain, frozen, pushed. */
function emitFloorEvent(i: number, hasher: ChainHasher, subject: Subject<TraceEvent>): void {
  const base = {
    seq: i, timeNs: i * 100, cpu: i & 1, irql: 0, kind: 'IrpCalled', activation: i - 3, routine: 'FilterDispatchRead', driver: 'filter',
    device: 'disk0.fdo', irp: i >> 4, master: null, major: 'IRP_MJ_READ', loc: 2, status: null, newIrql: null, dpc: null, lock: null,
    vector: null, result: null, api: null, detail: null, thread: 2, hash: '',
  };
  base.hash = hasher.next(base as unknown as TraceEvent);
  subject.next(Object.freeze(base) as unknown as TraceEvent);
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
    emitFloorEvent(i, hasher, subject);
  }
  const seconds = (performance.now() - t0) / 1000;
  if (n !== events) throw new Error('lost events');
  return events / seconds;
}

/**
 * Promises the simulator creates per event (async routines, kernel calls that yield), counted with
 * async_hooks over a short demo run: the routine model's own cost, which the second baseline adds.
 */
export async function promisesPerEvent(events = 100_000): Promise<number> {
  const sim = new Simulation(demo, { seed: 1, cpus: 2, requests: Math.ceil(events / 40), maxEvents: events });
  sim.events$.subscribe(() => {});
  let promises = 0;
  const hook = createHook({ init(_id, type) { if (type === 'PROMISE') promises++; } });
  hook.enable();
  let summary;
  try {
    summary = await sim.run();
  } finally {
    hook.disable();
  }
  return promises / summary.events;
}

/** The smallest async step: awaiting it makes two promises (its own and the await's), as an awaited kernel call does. */
async function step(x: number): Promise<number> {
  return x + 1;
}

/**
 * Baseline 2: the floor of envelopeOnce plus the routine model's promises at the simulator's own
 * rate (`promisesPerEvent`), spread evenly over the events — every cost the design imposes
 * (frozen events, the RxJS stream, the hash chain, routines that await their kernel calls), with
 * no simulation at all.
 */
export async function envelopeAwaitOnce(events: number, promisesPerEvent: number): Promise<number> {
  const subject = new Subject<TraceEvent>();
  let n = 0;
  subject.subscribe(() => { n++; });
  const hasher = new ChainHasher();
  // Each awaited step makes two promises; `credit` spreads them at the measured rate.
  const stepsPerEvent = promisesPerEvent / 2;
  let credit = 0;
  let x = 0;
  const t0 = performance.now();
  for (let i = 0; i < events; i++) {
    emitFloorEvent(i, hasher, subject);
    for (credit += stepsPerEvent; credit >= 1; credit--) x = await step(x);
  }
  const seconds = (performance.now() - t0) / 1000;
  if (n !== events || x === 0) throw new Error('lost events');
  return events / seconds;
}

export async function best(name: string, runs: number, once: () => Promise<number> | number): Promise<Figure> {
  const all: number[] = [];
  for (let i = 0; i < runs; i++) all.push(await once());
  return { name, eventsPerSecond: Math.max(...all), runs: all };
}
