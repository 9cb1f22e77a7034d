import { Option, type Command } from 'commander';
import { RecorderError } from '../../recorder/errors.js';
import { ReplayError } from '../../replayer/errors.js';
import { UsageError } from '../errors.js';
import { integerIn } from '../options.js';

/** The options of `replay`, as commander parses them. */
export interface ReplayCliOptions {
  readonly at?: number;
  readonly irp?: number;
  readonly verify?: boolean;
  readonly interactive?: boolean;
  readonly json?: boolean;
  readonly checkpointInterval?: number;
}

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
      // The replayer (and Arrow) load only when the command runs: `irptrace --help` stays quick.
      const { replay } = await import('../replay/replay-action.js');
      try {
        await replay(path, options);
      } catch (error) {
        if (error instanceof ReplayError || error instanceof RecorderError) throw new UsageError(error.message, { cause: error });
        throw error;
      }
    });
}
