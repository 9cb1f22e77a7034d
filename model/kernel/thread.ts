import type { ThreadId } from '../brands.js';
import { KTHREAD, type DispatcherObject } from '../wdm/kthread.js';
import { ExecContext } from './context.js';
import type { Cpu } from './cpu.js';

/** A kernel APC: run in its thread at APC_LEVEL. */
export type KernelApc = () => void;

/**
 * A simulated thread: the I/O manager's requester threads, the system thread that loads (and
 * unloads) the drivers, and the drivers' own system threads (PsCreateSystemThread). Dispatch
 * routines of the highest driver run in the requester's thread.
 */
export class Thread {
  readonly ctx: ExecContext = new ExecContext(this);
  state: 'new' | 'ready' | 'running' | 'waiting' | 'sleeping' | 'done' = 'new';
  /** The processor it runs on while running. */
  cpu: Cpu | null = null;
  /** Resumes its code after a wait. */
  resume: (() => void) | null = null;
  readonly apcQueue: KernelApc[] = [];
  waitingOn: DispatcherObject | null = null;
  /** Requests issued and not yet finished by the I/O manager (its completion APC not yet run). */
  outstanding = 0;
  /** The thread as a dispatcher object: signaled when its body ends (PsCreateSystemThread hands it to the driver). */
  readonly object: KTHREAD;
  /** ETHREAD.DeviceToVerify: the removable-media device IoSetHardErrorOrVerifyDevice named for this thread's request. */
  deviceToVerify: string | null = null;
  /** The driver whose PsCreateSystemThread created it; null for the system's own threads (boot, requesters). */
  driver: string | null = null;
  /** A system thread (the System thread, a driver's own); false for the requesters, which are user threads. */
  system = false;
  /** For a processor's DPC thread: that processor (it runs nowhere else and no other thread preempts it). */
  dpcThreadOf: Cpu | null = null;
  constructor(readonly id: ThreadId, readonly name: string, readonly body: () => Promise<void>) {
    this.object = new KTHREAD(`Thread${id}`);
  }
}
