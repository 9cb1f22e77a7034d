import { performance } from 'node:perf_hooks';
import { Simulation, type RunConfig, type RunSummary, type ScenarioDefinition } from '../model/index.js';
import { EXIT } from './errors.js';
import { EventTally, type RunCounts } from './tally.js';

/** Everything `run` reports about one run: the model's summary, the counts, and the wall clock. */
export interface RunReport extends RunSummary, RunCounts {
  readonly wall: { readonly ms: number; readonly eventsPerSecond: number };
}

/** Hooks into a run before it starts (a recorder subscribing to `sim.events$`, say). */
export type RunAttachment = (sim: Simulation) => void;

/**
 * Runs a scenario once and reports it. The event stream is only counted, never kept, so a run of
 * any length takes bounded memory.
 */
export async function executeRun(scenario: ScenarioDefinition, config: Partial<RunConfig>, attachments: readonly RunAttachment[] = []): Promise<RunReport> {
  const sim = new Simulation(scenario, config);
  const tally = new EventTally(sim.events$);
  for (const attach of attachments) attach(sim);
  const started = performance.now();
  const summary = await sim.run();
  const ms = performance.now() - started;
  return {
    ...summary,
    ...tally.counts(),
    wall: { ms: Math.round(ms * 10) / 10, eventsPerSecond: ms > 0 ? Math.round(summary.events / (ms / 1000)) : 0 },
  };
}

/** A run that ended, even in a bug check, is a result (0); a scenario that threw is not (1). */
export function exitCodeFor(report: RunReport): number {
  switch (report.endReason) {
    case 'error':
      return EXIT.scenarioError;
    case 'interrupted':
      return EXIT.interrupted;
    case 'completed':
    case 'limit':
    case 'stalled':
    case 'bugcheck':
      return EXIT.ok;
  }
}
