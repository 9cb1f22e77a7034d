import type { BugcheckName } from '../constants/irp.js';

/**
 * Thrown through driver code when Windows would stop the machine. The Bugcheck event is emitted
 * before it is thrown; the run ends with endReason `bugcheck`.
 */
export class BugcheckError extends Error {
  constructor(readonly bugcheck: BugcheckName, readonly code: number, readonly parameters: Readonly<Record<string, unknown>>) {
    super(`bug check 0x${code.toString(16).toUpperCase()} ${bugcheck}`);
    this.name = 'BugcheckError';
  }
}

/** Scenario code misused the simulator itself (not a Windows rule): e.g. a routine returned no NTSTATUS. */
export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

/** Unwinds driver code when the run stops for a reason outside it (the event limit, an interrupt from the user). */
export class RunStopped extends Error {
  constructor(readonly reason: 'limit' | 'interrupted') {
    super(`run stopped: ${reason}`);
    this.name = 'RunStopped';
  }
}
