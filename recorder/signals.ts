/** What the signal helper needs of a run. */
export interface Interruptible {
  interrupt(): void;
}

export interface InterruptOptions {
  readonly signals?: readonly NodeJS.Signals[];
  /** Told of the first signal (to print "stopping…", say). */
  readonly onSignal?: (signal: NodeJS.Signals) => void;
}

/**
 * SIGINT/SIGTERM stop the run cleanly: the first one calls `sim.interrupt()`, so the run ends with
 * SessionEnded `interrupted` and the recorder writes what it buffered and marks the session
 * `interrupted`. A second signal gives up and re-raises it (default action: the process dies,
 * leaving a trace marked unfinished but consistent). Returns a function that removes the handlers.
 *
 * Handlers run from the event loop, which the simulation's run loop yields to every 2048 turns
 * (see docs/trace-format.md, "Stopping a recording").
 *
 * @example
 * ```ts
 * const stop = interruptOnSignals(sim, { onSignal: () => process.stderr.write('stopping…\n') });
 * try { await recordRun(sim, { out }); } finally { stop(); }
 * ```
 */
export function interruptOnSignals(sim: Interruptible, options: InterruptOptions = {}): () => void {
  const signals = options.signals ?? (['SIGINT', 'SIGTERM'] as const);
  let interrupted = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (interrupted) {
      remove();
      process.kill(process.pid, signal);
      return;
    }
    interrupted = true;
    options.onSignal?.(signal);
    sim.interrupt();
  };
  const remove = (): void => {
    for (const s of signals) process.removeListener(s, handler);
  };
  for (const s of signals) process.on(s, handler);
  return remove;
}
