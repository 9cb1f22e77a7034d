import { EVENT_COLUMNS, Simulation, type TraceEvent } from '../model/index.js';
import { openTraceFile } from './open.js';
import { loadRecordedScenario, recordedRun, type RecordedRun, type ScenarioFileLoader } from './recorded-run.js';
import type { TraceFile } from './trace-file.js';

/** Every field of an event, the hash last: what a re-execution must reproduce. */
export const EVENT_FIELDS: readonly (keyof TraceEvent)[] = Object.freeze([...EVENT_COLUMNS.map((c) => c.field), 'hash'] as (keyof TraceEvent)[]);

/** Where a re-execution first differs from the recording. */
export interface Divergence {
  readonly seq: number;
  /** The recorded event; null when the recording ended before the re-execution. */
  readonly recorded: TraceEvent | null;
  /** The re-executed event; null when the re-execution ended first. */
  readonly replayed: TraceEvent | null;
  /** Fields that differ (all, when one side is missing). */
  readonly fields: readonly (keyof TraceEvent)[];
}

export interface VerifyResult {
  readonly path: string;
  readonly run: RecordedRun;
  /** Events compared and found equal. */
  readonly events: number;
  /** The hash of the last event compared and found equal ('' if none): the recording's last hash when all of it was compared. */
  readonly hash: string;
  /** null: identical. */
  readonly divergence: Divergence | null;
  /** The recording did not finish: only the events it has were compared. */
  readonly unfinished: boolean;
  /**
   * The recording was stopped by a signal (SessionEnded `interrupted`): the events before that one
   * were compared; the signal itself is outside the run and cannot be re-executed.
   */
  readonly interrupted: boolean;
}

export interface VerifyOptions {
  /** How to import a scenario file (default: a fresh dynamic import). */
  readonly loadScenarioFile?: ScenarioFileLoader;
}

/**
 * Re-executes a recorded run — the recorded scenario (a built-in by name, or the recorded file as
 * it is now) with the recorded seed and configuration — and compares it with the recording event
 * by event, every column and the hash. Stops the re-execution at the first difference. A
 * scenario file edited since the recording diverges wherever its change first shows.
 *
 * @example
 * ```ts
 * const result = await verifyTrace('traces/demo-seed1.sqlite');
 * console.log(result.divergence === null ? `identical: ${result.events} events, hash ${result.hash}` : `diverges at ${result.divergence.seq}`);
 * ```
 */
export async function verifyTrace(source: string | TraceFile, options: VerifyOptions = {}): Promise<VerifyResult> {
  const file = typeof source === 'string' ? openTraceFile(source) : source;
  try {
    const run = recordedRun(file.path, file.facts);
    const scenario = await loadRecordedScenario(file.path, run, options.loadScenarioFile);
    const sim = new Simulation(scenario, run.config);
    const recorded = recordedEvents(file);
    let next = recorded.next();
    let compared = 0;
    let divergence: Divergence | null = null;
    let interrupted = false;
    let lastHash = '';
    const subscription = sim.events$.subscribe((replayed) => {
      if (divergence !== null) return;
      // An unfinished recording is compared as far as it goes, an interrupted one up to the
      // SessionEnded its signal caused; a finished one must end here.
      if (next.done !== true && next.value.kind === 'SessionEnded' && next.value.api === 'interrupted') {
        interrupted = true;
        next = { done: true, value: undefined };
      }
      if (next.done === true) {
        if (file.end !== null && !interrupted) divergence = { seq: replayed.seq, recorded: null, replayed, fields: EVENT_FIELDS };
        sim.interrupt();
        return;
      }
      const fields = differences(next.value, replayed);
      if (fields.length > 0) {
        divergence = { seq: replayed.seq, recorded: next.value, replayed, fields };
        sim.interrupt();
        return;
      }
      compared++;
      lastHash = replayed.hash;
      next = recorded.next();
    });
    try {
      await sim.run();
    } finally {
      subscription.unsubscribe();
    }
    if (divergence === null && next.done !== true) {
      divergence = { seq: next.value.seq, recorded: next.value, replayed: null, fields: EVENT_FIELDS };
    }
    return { path: file.path, run, events: compared, hash: lastHash, divergence, unfinished: file.end === null, interrupted };
  } finally {
    if (typeof source === 'string') file.close();
  }
}

/** The fields where two events differ. */
export function differences(a: TraceEvent, b: TraceEvent): (keyof TraceEvent)[] {
  return EVENT_FIELDS.filter((f) => a[f] !== b[f]);
}

function* recordedEvents(file: TraceFile): Generator<TraceEvent> {
  for (const block of file.blocks()) yield* block;
}
