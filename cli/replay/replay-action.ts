import { openTraceFile, Timeline, verifyTrace, type TimelineOptions, type TraceFile } from '../../replayer/index.js';
import type { ReplayCliOptions } from '../commands/replay.js';
import { EXIT, UsageError } from '../errors.js';
import { whyEnded } from '../format.js';
import { formatEvent } from './format-event.js';
import { formatState, stateJson } from './format-state.js';
import { formatVerify } from './format-verify.js';
import { runPrompt } from './prompt.js';

const integer = new Intl.NumberFormat('en-US');

/** What `irptrace replay` does once its options are parsed (loaded only when the command runs). */
export async function replay(path: string, options: ReplayCliOptions): Promise<void> {
  const json = options.json === true;
  const modes = [options.at !== undefined && options.interactive !== true, options.irp !== undefined, options.verify === true, options.interactive === true];
  if (modes.filter(Boolean).length > 1) throw new UsageError('choose one of --at, --irp, --verify and -i (with -i, --at sets where the prompt starts)');
  if (options.verify === true) {
    const result = await verifyTrace(path);
    process.stdout.write(json ? `${JSON.stringify({ identical: result.divergence === null, ...result }, null, 2)}\n` : `${formatVerify(result)}\n`);
    process.exitCode = result.divergence === null ? EXIT.ok : EXIT.scenarioError;
    return;
  }
  if (!modes.some(Boolean)) {
    summarise(path, json);
    return;
  }
  if (json && options.interactive === true) throw new UsageError('-i is a prompt for a terminal: --json applies to --at, --irp and --verify');
  const timeline = Timeline.open(path, timelineOptions(options));
  try {
    if (options.interactive === true) {
      const interactive = process.stdin.isTTY === true;
      process.exitCode = await runPrompt(timeline, {
        input: process.stdin, output: process.stdout, errors: process.stderr, interactive, ...(options.at !== undefined ? { at: options.at } : {}),
      });
    } else if (options.irp !== undefined) {
      const history = timeline.irpHistory(options.irp);
      if (history.length === 0) throw new UsageError(`irp ${options.irp} does not appear in ${path}`);
      process.stdout.write(json ? `${JSON.stringify(history, null, 2)}\n` : `${history.map(formatEvent).join('\n')}\n`);
    } else if (options.at !== undefined) {
      const state = timeline.stateAt(options.at);
      const event = timeline.event(options.at);
      process.stdout.write(json ? `${JSON.stringify(stateJson(state, event), null, 2)}\n` : `${formatState(state, event)}\n`);
    }
  } finally {
    timeline.close();
  }
}

/** Checkpoint options; a progress line on a terminal while a big trace's checkpoints are built. */
function timelineOptions(options: ReplayCliOptions): TimelineOptions {
  const progress = process.stderr.isTTY === true;
  let shown = -1;
  return {
    ...(options.checkpointInterval !== undefined ? { interval: options.checkpointInterval } : {}),
    ...(progress ? {
      onProgress: (done: number, total: number) => {
        const percent = Math.floor((100 * done) / total);
        if (total < 1_000_000 || percent === shown) return;
        shown = percent;
        process.stderr.write(done === total ? '\r\x1b[K' : `\rbuilding checkpoints (first open of this trace) ${percent}%`);
      },
    } : {}),
  };
}

/** How the recording ended (and why, from its SessionEnded), and where an Arrow file was cut short. */
function describeEnd(file: TraceFile): string {
  const { end, truncatedAt } = file;
  const how = end === null ? 'unfinished recording (no end facts)' : `${end.endReason}${whyEnded(end.endReason, endDetail(file))}`;
  const cut = truncatedAt === null ? '' : `; the file is cut short inside its last message (which starts at byte ${integer.format(truncatedAt)}): read up to the batch before`;
  return how + cut;
}

/** The trace's SessionEnded detail (its last event), when it has one. */
function endDetail(file: TraceFile): string | null {
  const last = file.count > 0 ? file.read(file.count - 1, file.count - 1)[0] : undefined;
  return last?.kind === 'SessionEnded' ? last.detail : null;
}

/** `replay <trace>` alone: what the trace is, and what to ask of it. */
function summarise(path: string, json: boolean): void {
  const file = openTraceFile(path);
  try {
    const { facts, end, count } = file;
    if (json) {
      process.stdout.write(`${JSON.stringify({ trace: path, format: file.format, facts, events: count, end, truncatedAt: file.truncatedAt, hash: file.fingerprint.lastHash }, null, 2)}
`);
      return;
    }
    const rows: [string, string][] = [
      ['trace', `${path} (${file.format})`],
      ['scenario', `${facts.scenario} (seed ${facts.seed}, ${facts.cpus} CPU${facts.cpus === 1 ? '' : 's'})`],
      ['events', count === 0 ? '0' : `${integer.format(count)} (seq 0 to ${count - 1})`],
      ['end', describeEnd(file)],
      ['hash', file.fingerprint.lastHash || '-'],
      ['next', `irptrace replay ${path} --at <seq> | --irp <id> | --verify | -i`],
    ];
    process.stdout.write(`${rows.map(([k, v]) => `${k.padEnd(8)}  ${v}`).join('\n')}\n`);
  } finally {
    file.close();
  }
}
