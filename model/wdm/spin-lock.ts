import type { Cpu } from '../kernel/cpu.js';

/** An executive spin lock (KSPIN_LOCK). Its name appears in the trace's `lock` column. */
export class KSPIN_LOCK {
  /** @internal the processor holding it */
  owner: Cpu | null = null;
  constructor(readonly Name: string) {}
}
