import { Subject, type Observable } from 'rxjs';
import type { TraceEvent } from './events/index.js';
import type { EndReason } from './events/session.js';
import { DeviceHardware } from './kernel/hardware.js';
import { loadDrivers, requesterBody, unloadDrivers } from './kernel/io-manager.js';
import { Kernel } from './kernel/kernel.js';
import { Machine, describeError, type RunEnd } from './kernel/machine.js';
import { snapshotMachine } from './kernel/snapshot.js';
import type { ScenarioDefinition } from './scenario.js';
import type { MachineState } from './state.js';

/** How to run a scenario; together with the scenario these re-execute a run exactly. */
export interface RunConfig {
  readonly seed: number;
  readonly cpus: number;
  /** Requests in the workload (the scenario's default when absent). */
  readonly requests: number;
  /** Events allowed in the run, SessionEnded included; the run ends with `limit` there. */
  readonly maxEvents: number;
  /**
   * The machine's ThreadDpcEnable registry value: false runs threaded DPCs as ordinary DPCs
   * (k:introduction-to-threaded-dpcs). When absent: the scenario's `threadDpcEnable`, else true.
   */
  readonly threadDpcEnable: boolean;
}

export const DEFAULT_CONFIG: Omit<RunConfig, 'requests' | 'threadDpcEnable'> = Object.freeze({ seed: 1, cpus: 2, maxEvents: Number.MAX_SAFE_INTEGER });

/** How a run ended, and its identity. */
export interface RunSummary {
  readonly scenario: string;
  readonly config: RunConfig;
  readonly endReason: EndReason;
  readonly events: number;
  /** The last chain hash: identifies the run. */
  readonly hash: string;
  readonly simulatedNs: number;
  readonly error?: string;
  readonly bugcheck?: RunEnd['bugcheck'];
  /** A stalled run: the threads still waiting, the routine each waits in and the object it waits on (SessionEnded detail.waiting). */
  readonly waiting?: readonly { readonly thread: number; readonly name: string; readonly routine: string | null; readonly object: string | null }[];
}

/**
 * One run of a scenario. Subscribe to `events$` before calling `run()`: every event is pushed as it
 * happens and none is kept, so a run of any length streams in bounded memory.
 *
 * @example
 * ```ts
 * const sim = new Simulation(demo, { seed: 7, cpus: 2, requests: 100, maxEvents: 1e6 });
 * sim.events$.subscribe((e) => console.log(e.seq, e.kind));
 * const summary = await sim.run();
 * ```
 */
export class Simulation {
  readonly config: RunConfig;
  private readonly subject = new Subject<TraceEvent>();
  readonly events$: Observable<TraceEvent> = this.subject.asObservable();
  private readonly machine: Machine;
  private started = false;

  constructor(readonly scenario: ScenarioDefinition, config: Partial<RunConfig> = {}) {
    this.config = Object.freeze({
      seed: config.seed ?? DEFAULT_CONFIG.seed,
      cpus: config.cpus ?? DEFAULT_CONFIG.cpus,
      requests: config.requests ?? scenario.requests ?? 100,
      maxEvents: config.maxEvents ?? DEFAULT_CONFIG.maxEvents,
      threadDpcEnable: config.threadDpcEnable ?? scenario.threadDpcEnable ?? true,
    });
    this.machine = new Machine({ seed: this.config.seed, cpus: this.config.cpus, maxEvents: this.config.maxEvents, threadDpcEnable: this.config.threadDpcEnable }, (e) => this.subject.next(e));
  }

  /** The machine's state now, read from the simulator's own structures (tests compare it with the fold). */
  snapshot(): MachineState {
    return snapshotMachine(this.machine);
  }

  /** Asks a running simulation to stop at its next event (SIGINT): it ends with `interrupted`. */
  interrupt(): void {
    this.machine.end ??= { reason: 'interrupted' };
    this.machine.em.closed = true;
  }

  async run(): Promise<RunSummary> {
    if (this.started) throw new Error('a Simulation runs once');
    this.started = true;
    const m = this.machine;
    const { scenario, config } = this;
    // threadDpcEnable only when off: the machine's registry setting (traces from before it stay the same).
    m.em.sessionStarted(JSON.stringify({ scenario: scenario.name, seed: config.seed, cpus: config.cpus, requests: config.requests, ...(m.threadDpcEnable ? {} : { threadDpcEnable: false }) }));
    let end: RunEnd;
    try {
      const hardware = new Map(scenario.devices.map((d) => [d.name, new DeviceHardware(d, m.rng, (at, fire) => m.schedule(at, fire), (hw) => m.assertInterrupt(hw))]));
      const drivers = scenario.drivers(new Kernel(m));
      const requests = scenario.workload(m.rng, config.requests)[Symbol.iterator]();
      const system = m.spawnThread('System', async () => {
        const { pdos, drivers: loaded } = await loadDrivers(m, drivers, scenario, hardware);
        const requesters = Array.from({ length: scenario.requesters ?? 2 },
          (_, i) => m.spawnThread(`Requester${i + 1}`, requesterBody(m, requests, pdos, scenario.devices[0]!.name)));
        await unloadDrivers(m, loaded, requesters);
      });
      system.system = true;
      end = await m.run();
    } catch (error) {
      end = m.end ?? { reason: 'error', error: describeError(error, null) };
    }
    const detail: Record<string, unknown> = {};
    if (end.error !== undefined) detail.error = end.error;
    if (end.bugcheck !== undefined) detail.bugcheck = end.bugcheck.name;
    if (end.reason === 'stalled' || end.reason === 'completed') detail.liveIrps = m.irps.size;
    const waiting = end.reason === 'stalled' ? m.waitingThreads() : undefined;
    if (waiting !== undefined) detail.waiting = waiting;
    m.em.sessionEnded(end.reason, Object.keys(detail).length > 0 ? JSON.stringify(detail) : null);
    this.subject.complete();
    return Object.freeze({
      scenario: scenario.name, config, endReason: end.reason, events: m.em.count, hash: m.em.lastHash, simulatedNs: m.em.lastTime,
      ...(end.error !== undefined ? { error: end.error } : {}),
      ...(end.bugcheck !== undefined ? { bugcheck: end.bugcheck } : {}),
      ...(waiting !== undefined ? { waiting } : {}),
    });
  }
}
