import { CommanderError } from 'commander';

/** Exit codes: a run that ended (even in a bug check) is a result; the tool failing is not. */
export const EXIT = Object.freeze({
  ok: 0,
  /** The scenario threw: the run ended with `error`. */
  scenarioError: 1,
  /** Bad command line, unknown scenario, a scenario file that cannot be loaded. */
  usage: 2,
  /** A bug in irptrace itself (EX_SOFTWARE). */
  internal: 70,
  /** Stopped by the user. */
  interrupted: 130,
});

/**
 * A mistake on the user's side: reported as one line on stderr, exit code 2. `cause` (a load
 * failure, say) is shown only with --debug.
 */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/**
 * Reports a failure on stderr and returns the exit code. Every failure is one line; stacks (and
 * the cause of a usage error) appear only with --debug.
 */
export function reportFailure(error: unknown, options: { debug: boolean; helpCommand: string }): number {
  const { debug } = options;
  if (error instanceof CommanderError) {
    // --help and --version end through here with exit code 0.
    if (error.exitCode === 0) return EXIT.ok;
    // `irptrace` alone: commander has already printed the help.
    if (error.code === 'commander.help') return EXIT.usage;
    printLine(`${oneLine(error.message.replace(/^error: /, ''))} (see: ${options.helpCommand})`);
    return EXIT.usage;
  }
  if (error instanceof UsageError) {
    printLine(oneLine(error.message));
    if (debug && error.cause !== undefined) process.stderr.write(`${describe(error.cause)}\n`);
    return EXIT.usage;
  }
  printLine(`internal error: ${oneLine(error instanceof Error ? error.message : String(error))}${debug ? '' : ' (run with --debug for the stack)'}`);
  if (debug) process.stderr.write(`${describe(error)}\n`);
  return EXIT.internal;
}

function printLine(message: string): void {
  process.stderr.write(`irptrace: ${message}\n`);
}

/** The first line of a message, with commander's "(Did you mean …?)" hints folded in. */
function oneLine(message: string): string {
  return message.split('\n').map((l) => l.trim()).filter((l) => l !== '').join(' ');
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
