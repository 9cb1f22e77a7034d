import type { ThreadId } from '../brands.js';
import type { KEVENT } from '../wdm/kevent.js';
import { ExecContext } from './context.js';
import type { Cpu } from './cpu.js';

/** A kernel APC: run in its thread at APC_LEVEL. */
export type KernelApc = () => void;

/**
 * A simulated thread: the I/O manager's requester threads and the system thread that loads the
 * drivers. Dispatch routines of the highest driver run in the requester's thread.
 */
export class Thread {
  readonly ctx: ExecContext = new ExecContext(this);
  state: 'new' | 'ready' | 'running' | 'waiting' | 'sleeping' | 'done' = 'new';
  /** The processor it runs on while running. */
  cpu: Cpu | null = null;
  /** Resumes its code after a wait. */
  resume: (() => void) | null = null;
  readonly apcQueue: KernelApc[] = [];
  waitingOn: KEVENT | null = null;
  /** Requests issued and not yet finished by the I/O manager (its completion APC not yet run). */
  outstanding = 0;
  constructor(readonly id: ThreadId, readonly name: string, readonly body: () => Promise<void>) {}
}
