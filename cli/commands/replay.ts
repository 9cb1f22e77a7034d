import { Option, type Command } from 'commander';
import { RecorderError } from '../../recorder/index.js';
import { openTraceFile, ReplayError, Timeline, verifyTrace, type TimelineOptions } from '../../replayer/index.js';
import { EXIT, UsageError } from '../errors.js';
import { integerIn } from '../options.js';
import { formatEvent } from '../replay/format-event.js';
import { formatState, stateJson } from '../replay/format-state.js';
import { formatVerify } from '../replay/format-verify.js';
import { runPrompt } from '../replay/prompt.js';

/** The options of `replay`, as commander parses them. */
export interface ReplayCliOptions {
  readonly at?: number;
  readonly irp?: number;
  readonly verify?: boolean;
  readonly interactive?: boolean;
  readonly json?: boolean;
  readonly checkpointInterval?: number;
}

const integer = new Intl.NumberFormat('en-US');

/**
 * `irptrace replay <trace>`: time travel in a recording (`--at`, `--irp`, `-i`) and re-execution
 * (`--verify`). Bad input — no such file, not a trace, truncated or corrupted, a newer schema, a seq
 * out of range, a scenario that no longer loads, a bad filter — is one line on stderr and exit 2;
 * `--verify` exits 1 when the re-execution diverges.
 */
export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('travel in a recorded trace (state at any event, an IRP\'s history, an interactive prompt) or re-execute it to prove it identical')
    .argument('<trace>', 'a trace file (.sqlite or .arrow)')
    .addOption(new Option('--at <seq>', 'print the machine state after event seq: CPUs, live IRPs, DPC queues, spin locks').argParser(integerIn(0)))
    .addOption(new Option('--irp <id>', "print that IRP's history, one line per event").argParser(integerIn(0)))
    .option('--verify', 're-run the recorded scenario with the recorded seed and configuration and compare event by event (exit 1 if it diverges)')
    .option('-i, --interactive', 'time-travel prompt (next, prev, goto, find, rfind, state, irp, cpu, help, quit); reads commands from stdin')
    .option('--json', 'print --at, --irp or --verify as JSON')
    .addOption(new Option('--checkpoint-interval <n>', 'events between state checkpoints (default: 4096 Arrow, 1024 SQLite)').argParser(integerIn(1)))
    .action(async (path: string, options: ReplayCliOptions) => {
      try {
        await replay(path, options);
      } catch (error) {
        if (error instanceof ReplayError || error instanceof RecorderError) throw new UsageError(error.message, { cause: error });
        throw error;
      }
    });
}

async function replay(path: string, options: ReplayCliOptions): Promise<void> {
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
    summarise(path);
    return;
  }
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

/** `replay <trace>` alone: what the trace is, and what to ask of it. */
function summarise(path: string): void {
  const file = openTraceFile(path);
  try {
    const { facts, end, count } = file;
    const rows: [string, string][] = [
      ['trace', `${path} (${file.format})`],
      ['scenario', `${facts.scenario} (seed ${facts.seed}, ${facts.cpus} CPU${facts.cpus === 1 ? '' : 's'})`],
      ['events', count === 0 ? '0' : `${integer.format(count)} (seq 0 to ${count - 1})`],
      ['end', end === null ? 'unfinished recording (no end facts)' : end.endReason],
      ['hash', file.fingerprint.lastHash || '-'],
      ['next', `irptrace replay ${path} --at <seq> | --irp <id> | --verify | -i`],
    ];
    process.stdout.write(`${rows.map(([k, v]) => `${k.padEnd(8)}  ${v}`).join('\n')}\n`);
  } finally {
    file.close();
  }
}
