import { performance } from 'node:perf_hooks';
import { Simulation, type RunConfig, type RunSummary, type ScenarioDefinition } from '../model/index.js';
import { interruptOnSignals, recordRun, RecorderError, type TraceFormat, type TracePaths } from '../recorder/index.js';
import { EXIT, UsageError } from './errors.js';
import { ProgressLine } from './progress.js';
import { EventTally, type RunCounts } from './tally.js';

/** Everything `run` reports about one run: the model's summary, the counts, the wall clock, the trace written. */
export interface RunReport extends RunSummary, RunCounts {
  readonly wall: { readonly ms: number; readonly eventsPerSecond: number };
  /** The files written, when the run was recorded. */
  readonly trace?: TracePaths;
}

/** Hooks into a run before it starts (a live observer subscribing to `sim.events$`, say). */
export type RunAttachment = (sim: Simulation) => void;

/** Where and how to record a run. */
export interface RecordRequest {
  readonly out: string;
  readonly formats: readonly TraceFormat[];
  readonly force: boolean;
  /** The scenario: a built-in name, or a scenario file's absolute path, kept so the run can be re-executed from anywhere. */
  readonly source: string;
}

export interface ExecuteOptions {
  readonly attachments?: readonly RunAttachment[];
  /** Record the run to these files; absent: run only. */
  readonly record?: RecordRequest;
  /** Show events and events/s on stderr while it runs (only on a terminal). */
  readonly progress?: boolean;
}

/**
 * Runs a scenario once (recording it when asked) and reports it. The event stream is only counted
 * and written, never kept, so a run of any length takes bounded memory. SIGINT/SIGTERM stop the
 * run cleanly: the recorder flushes what it has and marks the trace `interrupted`.
 */
export async function executeRun(scenario: ScenarioDefinition, config: Partial<RunConfig>, options: ExecuteOptions = {}): Promise<RunReport> {
  const sim = new Simulation(scenario, config);
  const tally = new EventTally(sim.events$);
  for (const attach of options.attachments ?? []) attach(sim);
  const progress = options.progress === true && process.stderr.isTTY ? new ProgressLine(process.stderr) : null;
  const stopSignals = interruptOnSignals(sim, {
    onSignal: (signal) => {
      progress?.clear();
      process.stderr.write(`irptrace: ${signal}: stopping the run${options.record ? ' and completing the trace' : ''} (again to abort)\n`);
    },
  });
  const started = performance.now();
  let summary: RunSummary;
  let trace: TracePaths | undefined;
  try {
    if (options.record === undefined) {
      if (progress !== null) sim.events$.subscribe({ next: (e) => { if ((e.seq & 0xffff) === 0) progress.update(e.seq, performance.now() - started); } });
      summary = await sim.run();
    } else {
      const result = await recordRun(sim, {
        ...options.record,
        ...(progress !== null ? { onProgress: (p) => progress.update(p.events, p.elapsedMs) } : {}),
      });
      summary = result.summary;
      trace = result.paths;
    }
  } catch (error) {
    // A trace that cannot be written (existing without --force, unwritable, disk full) is the user's to fix.
    if (error instanceof RecorderError) throw new UsageError(error.message, { cause: error });
    throw error;
  } finally {
    stopSignals();
    progress?.clear();
  }
  const ms = performance.now() - started;
  return {
    ...summary,
    ...tally.counts(),
    wall: { ms: Math.round(ms * 10) / 10, eventsPerSecond: ms > 0 ? Math.round(summary.events / (ms / 1000)) : 0 },
    ...(trace !== undefined ? { trace } : {}),
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
