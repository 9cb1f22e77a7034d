import type { IrpId } from '../brands.js';
import { APC_LEVEL, DISPATCH_LEVEL, PASSIVE_LEVEL } from '../constants/irql.js';
import { BUGCHECK, type BugcheckName } from '../constants/irp.js';
import type { TraceEvent } from '../events/index.js';
import type { EndReason } from '../events/session.js';
import { SeededRandom } from '../rng.js';
import type { KINTERRUPT } from '../wdm/interrupt.js';
import type { Irp, IrpAccessObserver } from '../wdm/irp.js';
import type { KSPIN_LOCK } from '../wdm/spin-lock.js';
import { API_COST_NS, type ApiCost } from './costs.js';
import { Cpu } from './cpu.js';
import { signalObject } from './dispatcher.js';
import type { ExecContext } from './context.js';
import { runApcs } from './apc-delivery.js';
import { drainDpcs } from './dpc-drain.js';
import { dpcThreadBody } from './dpc-thread.js';
import { Emitter } from './emitter.js';
import { BugcheckError, RunStopped, ScenarioError } from './errors.js';
import type { DeviceHardware } from './hardware.js';
import { runInterrupt } from './interrupt-dispatch.js';
import { Thread } from './thread.js';
import { TimerQueue } from './timers.js';

export interface MachineConfig {
  readonly seed: number;
  readonly cpus: number;
  /** Events allowed in the run, SessionEnded included. */
  readonly maxEvents: number;
  /** How far, at most, a processor may run ahead of the next one due (ns): the scheduler's seeded slack. */
  readonly sliceSlackNs?: number;
  /** The ThreadDpcEnable registry value: false runs threaded DPCs as ordinary ones. Default true. */
  readonly threadDpcEnable?: boolean;
}

/** Chance, out of 2^32, that a kernel call at PASSIVE_LEVEL in a thread loses the processor. */
const PREEMPT_CHANCE = 2 ** 32 / 200;
/** How long a preempted thread waits to run again (ns). */
const PREEMPT_MIN_NS = 5_000;
const PREEMPT_MAX_NS = 40_000;

/** Run-loop turns between two yields to Node's event loop. */
const YIELD_EVERY_TURNS = 2048;

/** Where a stack location the IRP does not have would be (IrpAccessed detail.location). */
export type OutsideLocation = 'past the end' | 'before the first';

/** How a run ended. */
export interface RunEnd {
  readonly reason: EndReason;
  /** For `error`: what the scenario threw, and where. */
  readonly error?: string;
  /** For `bugcheck`. */
  readonly bugcheck?: { readonly name: BugcheckName; readonly code: number; readonly parameters: Readonly<Record<string, unknown>> };
}

/**
 * The simulated machine and its scheduler.
 *
 * Driver code runs as async routines; every kernel call is a preemption point (`point`). Only one
 * piece of code runs at a time: the run loop hands the baton to one processor, whose code runs
 * until it yields at a preemption point, blocks in a wait, or finishes, and then hands it back.
 * The loop always resumes the processor (or timer) that is due first in simulated time, breaking
 * ties with the seeded random source, and lets it run ahead by a seeded slack at most — so the same
 * seed gives the same interleaving, and different seeds give different ones.
 */
export class Machine implements IrpAccessObserver {
  readonly rng: SeededRandom;
  readonly cpus: readonly Cpu[];
  readonly em: Emitter;
  readonly timers = new TimerQueue();
  readonly readyThreads: Thread[] = [];
  readonly threads = new Set<Thread>();
  /** Allocated and not yet freed. */
  readonly irps = new Map<IrpId, Irp>();
  readonly heldLocks = new Set<KSPIN_LOCK>();
  readonly interruptsByVector = new Map<number, KINTERRUPT[]>();
  /** Drivers whose DriverUnload has returned: their code is gone, and running any of it is bug check 0xCE. */
  readonly unloaded = new Set<string>();
  end: RunEnd | null = null;
  private nextIrpId = 1;
  private nextThreadId = 1;
  private baton: (() => void) | null = null;
  /** Set when the running code has handed the baton back: any further kernel call is a missing await. */
  private handedBack = true;
  private sliceEnd = Infinity;
  private readonly slack: number;
  readonly threadDpcEnable: boolean;

  constructor(readonly config: MachineConfig, sink: (event: TraceEvent) => void) {
    this.rng = new SeededRandom(config.seed);
    this.cpus = Array.from({ length: config.cpus }, (_, i) => new Cpu(i));
    this.em = new Emitter(sink, Math.max(0, config.maxEvents - 1));
    this.slack = config.sliceSlackNs ?? 3000;
    this.threadDpcEnable = config.threadDpcEnable ?? true;
  }

  /** The processor whose code is running. */
  cpu(): Cpu {
    const cpu = this.em.current;
    if (cpu === null) throw new ScenarioError('kernel call made outside any processor');
    return cpu;
  }

  /** Entry check of every kernel call: the calling code must be the code holding the baton. */
  enter(api: string): Cpu {
    if (this.handedBack) {
      throw new ScenarioError(`${api} was called while the previous kernel call on this processor had not returned: is an \`await\` missing?`);
    }
    return this.cpu();
  }

  /** A kernel call's cost in ns, with seeded jitter. */
  cost(kind: ApiCost): number {
    const base = API_COST_NS[kind];
    return base + this.rng.int(0, base >> 1);
  }

  newIrpId(): IrpId {
    return this.nextIrpId++ as IrpId;
  }

  /**
   * A preemption point: advances the processor's clock by `costNs`; then, if it has run past its
   * slice, yields to the run loop, and if interrupts, DPCs or kernel APCs are due on it at its
   * IRQL, runs them. Returns undefined when the caller can go on at once.
   */
  point(costNs: number): void | Promise<void> {
    const cpu = this.em.current!;
    cpu.clock += costNs;
    if (cpu.clock > this.sliceEnd) return this.yieldThenDeliver(cpu);
    if (this.hasDeliverable(cpu)) return this.deliver(cpu);
    // No thread preempts a DPC thread (k:introduction-to-threaded-dpcs).
    if (cpu.ctx.irql === PASSIVE_LEVEL && cpu.thread !== null && cpu.thread.dpcThreadOf === null && this.rng.u32() < PREEMPT_CHANCE) return this.preempt();
    return undefined;
  }

  /**
   * The running thread loses its processor for a while (its quantum ended, a higher-priority thread
   * of another process ran): at PASSIVE_LEVEL Windows may switch threads at any point. Meanwhile the
   * processor is free for interrupts, DPCs and other threads, so a DPC can complete an IRP before
   * the dispatch routine that started its transfer has returned.
   */
  private preempt(): Promise<void> {
    return this.sleepUntil(this.cpu().clock + this.rng.int(PREEMPT_MIN_NS, PREEMPT_MAX_NS));
  }

  private async yieldThenDeliver(cpu: Cpu): Promise<void> {
    await new Promise<void>((resolve) => {
      cpu.resume = resolve;
      this.handBack();
    });
    if (this.hasDeliverable(cpu)) await this.deliver(cpu);
  }

  hasDeliverable(cpu: Cpu): boolean {
    const irql = cpu.ctx.irql;
    const pending = cpu.pendingInterrupts;
    for (let i = 0; i < pending.length; i++) if (pending[i]!.Irql > irql) return true;
    if (irql < DISPATCH_LEVEL && cpu.dpcQueue.length > 0 && cpu.dpcRequested && !cpu.draining) return true;
    if (irql < DISPATCH_LEVEL && cpu.thread !== null && this.dpcThreadReady(cpu)) return true;
    const thread = cpu.ctx.thread;
    return irql < APC_LEVEL && thread !== null && thread.apcQueue.length > 0;
  }

  /** The processor's DPC thread has threaded DPCs to run (or a wait of its own satisfied). */
  dpcThreadReady(cpu: Cpu): boolean {
    const thread = cpu.dpcThread;
    return thread !== null && thread.state === 'ready';
  }

  /**
   * A threaded DPC was queued to `cpu`: ready its DPC thread (created with the first one). It runs
   * before any other thread there, and the thread running there gives the processor up at its next
   * kernel call below DISPATCH_LEVEL (`deliver`).
   */
  readyDpcThread(cpu: Cpu): void {
    let thread = cpu.dpcThread;
    if (thread === null) {
      thread = new Thread(this.nextThreadId++, `DpcThread${cpu.id}`, dpcThreadBody(this, cpu));
      thread.system = true;
      thread.dpcThreadOf = cpu;
      cpu.dpcThread = thread;
      thread.state = 'ready';
    } else if (cpu.dpcThreadIdle) {
      cpu.dpcThreadIdle = false;
      thread.state = 'ready';
    }
    this.workArrived();
  }

  /**
   * Runs what is due on the processor at its IRQL: interrupts first, then DPCs, then — in a thread
   * below DISPATCH_LEVEL — the switch to a ready DPC thread, then kernel APCs.
   */
  async deliver(cpu: Cpu): Promise<void> {
    for (;;) {
      const irql = cpu.ctx.irql;
      let best = -1;
      const pending = cpu.pendingInterrupts;
      for (let i = 0; i < pending.length; i++) {
        if (pending[i]!.Irql > irql && (best < 0 || pending[i]!.Irql > pending[best]!.Irql)) best = i;
      }
      if (best >= 0) {
        const interrupt = pending.splice(best, 1)[0]!;
        await runInterrupt(this, cpu, interrupt);
        continue;
      }
      if (irql < DISPATCH_LEVEL && cpu.dpcQueue.length > 0 && cpu.dpcRequested && !cpu.draining) {
        await drainDpcs(this, cpu);
        continue;
      }
      if (irql < DISPATCH_LEVEL && cpu.thread !== null && this.dpcThreadReady(cpu)) {
        // The DPC thread outranks every thread: the running one yields the processor at once, and
        // runs what is due wherever it resumes (blockThread).
        await this.sleepUntil(cpu.clock);
        return;
      }
      const thread = cpu.ctx.thread;
      if (irql < APC_LEVEL && thread !== null && thread.apcQueue.length > 0) {
        await runApcs(this, cpu, thread);
        continue;
      }
      return;
    }
  }

  /** Emits a Bugcheck event and stops the machine: the thrown error unwinds the driver code. */
  bugcheck(name: BugcheckName, parameters: Readonly<Record<string, unknown>>): never {
    const code = BUGCHECK[name];
    this.em.bugcheck(name, code, JSON.stringify(parameters));
    this.end ??= { reason: 'bugcheck', bugcheck: { name, code, parameters } };
    this.em.closed = true;
    throw new BugcheckError(name, code, parameters);
  }

  // ---- threads -------------------------------------------------------------------------------

  /** Creates a thread, ready to run on the next free processor. */
  spawnThread(name: string, body: () => Promise<void>): Thread {
    const thread = new Thread(this.nextThreadId++, name, body);
    this.threads.add(thread);
    this.makeReady(thread);
    return thread;
  }

  makeReady(thread: Thread): void {
    if (thread.state === 'ready' || thread.state === 'running' || thread.state === 'done') return;
    thread.state = 'ready';
    // A DPC thread runs only on its own processor, which picks it before the shared ready queue.
    if (thread.dpcThreadOf !== null) {
      this.workArrived();
      return;
    }
    this.readyThreads.push(thread);
    this.workArrived();
  }

  /**
   * Blocks the running thread (a wait, a sleep, user mode awaiting its completion APC): frees its
   * processor and resolves when some processor runs it again.
   */
  async blockThread(state: 'waiting' | 'sleeping'): Promise<void> {
    const cpu = this.cpu();
    const thread = cpu.thread;
    if (thread === null) throw new ScenarioError('only a thread can wait');
    thread.state = state;
    await new Promise<void>((resolve) => {
      thread.resume = resolve;
      this.detach(cpu);
      this.handBack();
    });
    // A driver's thread woken after its driver unloaded would return into code that is gone.
    if (this.unloaded.size > 0) this.checkLoaded(thread.ctx.innermost?.driver ?? null, 'a thread resumed');
    // Whatever woke it — its wait satisfied, a kernel APC, the end of a preemption — the thread
    // first runs what became due on its new processor (a completion APC queued meanwhile, say).
    const now = this.cpu();
    if (this.hasDeliverable(now)) await this.deliver(now);
  }

  /**
   * Code of `driver` is about to run (`what`): after its DriverUnload returned, that is bug check
   * 0xCE DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS — the driver left a thread, a DPC, a
   * completion routine or an interrupt that outlived it (windows-semantics.md, bug checks to emit).
   */
  checkLoaded(driver: string | null, what: string): void {
    if (driver !== null && this.unloaded.has(driver)) this.bugcheck('DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS', { driver, what });
  }

  /** Queues a kernel APC to a thread; a blocked thread is woken to run it (its wait then resumes). */
  queueApc(thread: Thread, apc: () => void): void {
    thread.apcQueue.push(apc);
    if (thread.state === 'waiting' || thread.state === 'sleeping') this.makeReady(thread);
  }

  /** Wakes the thread at simulated time `at`. */
  sleepUntil(at: number): Promise<void> {
    const thread = this.cpu().thread!;
    this.schedule(at, () => this.makeReady(thread));
    return this.blockThread('sleeping');
  }

  /** Runs `fire` at simulated time `at` (a device finishing a transfer, a thread waking). */
  schedule(at: number, fire: () => void): void {
    this.timers.push(at, fire);
    if (at < this.sliceEnd) this.sliceEnd = at + this.rng.int(0, this.slack);
  }

  private detach(cpu: Cpu): void {
    const previous = cpu.thread;
    if (previous !== null) previous.cpu = null;
    cpu.busy = false;
    cpu.thread = null;
    this.switchTo(cpu, cpu.idleCtx, previous);
  }

  /** Puts a context on the processor, recording the switch when it changes anything. */
  private switchTo(cpu: Cpu, ctx: ExecContext, previous: Thread | null): void {
    if (cpu.ctx === ctx) return;
    cpu.ctx = ctx;
    this.em.contextSwitched(cpu, previous === null ? null : previous.id);
  }

  /** New work for a processor that may be idle: shorten the running slice so it gets its turn soon. */
  workArrived(): void {
    const at = this.em.lastTime + this.rng.int(0, this.slack);
    if (at < this.sliceEnd) this.sliceEnd = at;
  }

  // ---- interrupts ----------------------------------------------------------------------------

  /** The device asserts its interrupt: route it to a processor (one below its IRQL if any). */
  assertInterrupt(hardware: DeviceHardware): void {
    const vector = hardware.spec.vector;
    const connected = this.interruptsByVector.get(vector);
    const interrupt = connected?.[0];
    if (interrupt === undefined) {
      this.em.interruptRequested(null, hardware.spec.name, vector);
      return;
    }
    const eligible = this.cpus.filter((c) => (interrupt.ProcessorEnableMask & (1 << c.id)) !== 0);
    const candidates = eligible.length > 0 ? eligible : this.cpus;
    const below = candidates.filter((c) => c.ctx.irql < interrupt.Irql);
    const target = this.rng.pick(below.length > 0 ? below : candidates);
    target.pendingInterrupts.push(interrupt);
    this.em.interruptRequested(target, interrupt.deviceName, vector);
    this.workArrived();
  }

  // ---- the run loop --------------------------------------------------------------------------

  /** Hands the baton back to the run loop. */
  handBack(): void {
    this.handedBack = true;
    const baton = this.baton;
    this.baton = null;
    if (baton !== null) baton();
  }

  /** Ends the run because of what a strand threw. */
  fail(error: unknown): void {
    if (this.end === null) {
      if (error instanceof BugcheckError) {
        this.end = { reason: 'bugcheck', bugcheck: { name: error.bugcheck, code: error.code, parameters: error.parameters } };
      } else if (error instanceof RunStopped) {
        this.end = { reason: error.reason };
      } else {
        this.end = { reason: 'error', error: describeError(error, this.em.current?.ctx.innermost?.routine ?? null) };
      }
    }
    this.em.closed = true;
    this.handBack();
  }

  private idleTime(cpu: Cpu): number {
    if (cpu.resume !== null) return cpu.clock;
    if (cpu.busy) return Infinity;
    if (cpu.pendingInterrupts.length > 0 || cpu.dpcQueue.length > 0 || this.readyThreads.length > 0 || this.dpcThreadReady(cpu)) {
      return Math.max(cpu.clock, this.em.lastTime);
    }
    return Infinity;
  }

  /** Runs until nothing is left to do, the run fails, or it is stopped. */
  async run(): Promise<RunEnd> {
    // Node's event loop empties while the run waits only when driver code awaits a promise that
    // nothing will settle: without this, Node would exit at once (code 13), silently, losing the
    // trace. The run ends with an error naming the routine instead.
    const stuck = (): void => this.fail(new ScenarioError('driver code awaits a promise that never settles: a routine may await only kernel calls (k.…) and its own async functions that make them'));
    process.on('beforeExit', stuck);
    try {
      return await this.loop();
    } finally {
      process.off('beforeExit', stuck);
    }
  }

  private async loop(): Promise<RunEnd> {
    let turns = 0;
    while (this.end === null) {
      // Let Node's event loop run now and then (signal handlers, a recorder's timers); what the
      // simulation does never depends on it.
      if (++turns % YIELD_EVERY_TURNS === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.end !== null) break;
      let best: Cpu | null = null;
      let bestTime = Infinity;
      let ties = 0;
      for (const cpu of this.cpus) {
        const t = this.idleTime(cpu);
        if (t === Infinity) continue;
        if (t < bestTime) {
          best = cpu; bestTime = t; ties = 1;
        } else if (t === bestTime && this.rng.int(0, ties++) === 0) {
          best = cpu;
        }
      }
      const timerAt = this.timers.peekTime();
      if (timerAt !== Infinity && timerAt <= bestTime) {
        const timer = this.timers.pop()!;
        if (timer.at > this.em.lastTime) this.em.lastTime = timer.at;
        this.em.current = null;
        try {
          timer.fire();
        } catch (error) {
          this.fail(error);
        }
        continue;
      }
      if (best === null) break;
      let next = timerAt;
      for (const cpu of this.cpus) if (cpu !== best) next = Math.min(next, this.idleTime(cpu));
      this.sliceEnd = next === Infinity ? Infinity : next + this.rng.int(0, this.slack);
      await this.dispatch(best);
    }
    return this.end ?? { reason: this.threadsLeft() ? 'stalled' : 'completed' };
  }

  /** The threads left when the run stalls: who waits, in which routine, on what (null: ready, or a sleep). */
  waitingThreads(): { thread: number; name: string; routine: string | null; object: string | null }[] {
    return [...this.threads].filter((t) => t.state !== 'done').map((t) => ({
      thread: t.id, name: t.name, routine: t.ctx.innermost?.routine ?? null, object: t.waitingOn?.Name ?? null,
    }));
  }

  private threadsLeft(): boolean {
    for (const t of this.threads) if (t.state !== 'done') return true;
    return false;
  }

  private dispatch(cpu: Cpu): Promise<void> {
    if (cpu.clock < this.em.lastTime) cpu.clock = this.em.lastTime;
    return new Promise<void>((resolve) => {
      this.baton = resolve;
      this.handedBack = false;
      this.em.current = cpu;
      const resume = cpu.resume;
      if (resume !== null) {
        cpu.resume = null;
        resume();
      } else if (cpu.pendingInterrupts.length > 0 || cpu.dpcQueue.length > 0) {
        // An idle processor services its interrupts and drains its whole DPC queue.
        cpu.busy = true;
        cpu.dpcRequested = true;
        this.deliver(cpu).then(() => {
          cpu.busy = false;
          this.handBack();
        }, (error: unknown) => this.fail(error));
      } else if (this.dpcThreadReady(cpu)) {
        this.runThread(cpu, cpu.dpcThread!);
      } else {
        this.runThread(cpu, this.readyThreads.shift()!);
      }
    });
  }

  private runThread(cpu: Cpu, thread: Thread): void {
    cpu.busy = true;
    cpu.thread = thread;
    thread.cpu = cpu;
    try {
      this.switchTo(cpu, thread.ctx, null);
    } catch (error) {
      this.fail(error);
      return;
    }
    const resume = thread.resume;
    thread.state = 'running';
    if (resume !== null) {
      thread.resume = null;
      resume();
      return;
    }
    thread.body().then(() => {
      thread.state = 'done';
      this.threads.delete(thread);
      signalObject(this, thread.object);
      // The thread may have waited and moved: it ends on the processor it runs on now.
      this.detach(thread.cpu ?? cpu);
      this.handBack();
    }).catch((error: unknown) => this.fail(error));
  }

  // ---- IrpAccessObserver ---------------------------------------------------------------------

  /** Driver code touched `irp` after its release, or (`outside`) through a stack location the IRP does not have. */
  irpAccessed(irp: Irp, field: string, outside: OutsideLocation | null = null): void {
    if (this.em.current !== null && !this.handedBack) this.em.irpAccessed(irp, field, outside);
  }

  irpCountSet(master: Irp, count: number): void {
    this.em.masterIrpCountChanged(master, count, 'Set');
  }
}

/** One line: what was thrown, in which routine, and where in the scenario's source. */
export function describeError(error: unknown, routine: string | null): string {
  const base = error instanceof Error ? `${error.name}: ${error.message}` : `thrown: ${String(error)}`;
  const where = routine !== null ? ` (in ${routine})` : '';
  let at = '';
  if (error instanceof Error && error.stack && !(error instanceof ScenarioError)) {
    const frame = error.stack.split('\n').slice(1).find((l) => !l.includes('/model/') && !l.includes('node:') && !l.includes('node_modules'));
    const m = frame?.match(/\(?([^()\s]+:\d+:\d+)\)?$/);
    if (m) at = ` at ${m[1]}`;
  }
  return `${base}${where}${at}`;
}
