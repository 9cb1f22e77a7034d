import type { CpuId } from '../brands.js';
import type { KDPC } from '../wdm/dpc.js';
import type { KINTERRUPT } from '../wdm/interrupt.js';
import { ExecContext } from './context.js';
import type { Thread } from './thread.js';

/** One processor: its clock, what it runs, its DPC queue and the interrupts routed to it. */
export class Cpu {
  /** Local simulated time in ns; the machine keeps emitted times monotonic across processors. */
  clock = 0;
  /** Its own arbitrary context, used when it services interrupts and DPCs with no thread. */
  readonly idleCtx: ExecContext = new ExecContext(null);
  ctx: ExecContext = this.idleCtx;
  thread: Thread | null = null;
  /** True while a strand (thread or idle work) runs on it. */
  busy = false;
  /** Resumes its code when it yielded to the scheduler at a preemption point. */
  resume: (() => void) | null = null;
  readonly dpcQueue: KDPC[] = [];
  /** Threaded DPCs waiting for the processor's DPC thread (KPRCB DpcData[DPC_THREADED]). */
  readonly threadedDpcQueue: KDPC[] = [];
  /** The processor's DPC thread, created with its first threaded DPC; it runs only here. */
  dpcThread: Thread | null = null;
  /** The DPC thread is blocked on an empty queue: the next threaded insert wakes it. */
  dpcThreadIdle = false;
  /** A DISPATCH_LEVEL software interrupt was requested for the DPC queue. */
  dpcRequested = false;
  /** KiRetireDpcList is running: DPCs on one processor do not preempt each other. */
  draining = false;
  readonly pendingInterrupts: KINTERRUPT[] = [];
  constructor(readonly id: CpuId) {}
}
