import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { Cursor, ReplayError, type Timeline } from '../../replayer/index.js';
import { formatEvent } from './format-event.js';
import { formatCpuLines, formatState } from './format-state.js';

export const PROMPT_HELP = `commands (a command's first letter works too):
  next [n]        step n events forward (default 1)
  prev [n]        step n events back
  goto <seq>      travel to event seq
  find <filter>   next event matching the filter, e.g. find kind=IrpCompleted irp=4
  rfind <filter>  previous event matching the filter
                  filter keys: kind, irp, master, cpu, irql, thread, device, routine, driver, api, major, dpc, lock
                  (key=a,b matches either value; a bare word is a kind; "find" alone repeats the last filter)
  state           the machine state after the current event
  irp <id>        that IRP's history, one line per event
  cpu <n>         one processor's IRQL, thread, raise frames, routines and DPC queue
  help            this list
  quit            leave (end of input does too)`;

export interface PromptOptions {
  readonly input: Readable;
  readonly output: Writable;
  readonly errors: Writable;
  /** A person at a terminal: show a prompt with the current seq. Otherwise no prompt, and errors set exit 2. */
  readonly interactive: boolean;
  /** Where to start (default 0). */
  readonly at?: number;
}

/**
 * The time-travel prompt over a trace: one command per line (PROMPT_HELP), read with
 * node:readline, so it works at a terminal and from a script (`printf 'goto 10\nstate\n' | irptrace
 * replay t.sqlite -i`). A command that fails prints one line on `errors` and the prompt goes on;
 * without a terminal, such a failure makes the exit code 2. Returns the exit code.
 */
export async function runPrompt(timeline: Timeline, options: PromptOptions): Promise<number> {
  const { output, errors, interactive } = options;
  const print = (text: string): void => void output.write(`${text}\n`);
  const cursor = new Cursor(timeline, options.at ?? 0);
  let lastFilter: string | null = null;
  let failed = false;
  const rl = createInterface({ input: options.input, output: interactive ? output : undefined, terminal: interactive });
  const setPrompt = (): void => rl.setPrompt(`replay #${cursor.seq}> `);
  if (interactive) print(`${timeline.path}: ${timeline.count} events (seq 0 to ${timeline.count - 1}); type help for the commands`);
  print(formatEvent(cursor.event));
  if (interactive) {
    setPrompt();
    rl.prompt();
  }
  for await (const raw of rl) {
    const line = raw.trim();
    if (line !== '' && !line.startsWith('#')) {
      const [word = '', ...rest] = line.split(/\s+/);
      const argument = rest.join(' ');
      try {
        const done = execute(word.toLowerCase(), argument);
        if (done) break;
      } catch (error) {
        if (!(error instanceof ReplayError) && !(error instanceof CommandError)) throw error;
        errors.write(`error: ${error.message}\n`);
        failed = true;
      }
    }
    if (interactive) {
      setPrompt();
      rl.prompt();
    }
  }
  rl.close();
  return failed && !interactive ? 2 : 0;

  /** Runs one command; true to quit. */
  function execute(word: string, argument: string): boolean {
    switch (word) {
      case 'n':
      case 'next': {
        const n = count(argument);
        const moved = cursor.next(n);
        print(formatEvent(cursor.event) + (moved < n ? '  (last event)' : ''));
        return false;
      }
      case 'p':
      case 'prev': {
        const n = count(argument);
        const moved = cursor.prev(n);
        print(formatEvent(cursor.event) + (moved < n ? '  (first event)' : ''));
        return false;
      }
      case 'g':
      case 'goto':
        cursor.goto(integer(argument, 'goto takes a seq, e.g. goto 120'));
        print(formatEvent(cursor.event));
        return false;
      case 'f':
      case 'find':
      case 'rf':
      case 'rfind': {
        const filter = argument !== '' ? argument : lastFilter;
        if (filter === null) throw new CommandError(`${word} takes a filter, e.g. ${word} kind=IrpCompleted irp=4`);
        lastFilter = filter;
        const backwards = word.startsWith('r');
        const found = backwards ? cursor.findPrev(filter) : cursor.findNext(filter);
        print(found === null ? `no event ${backwards ? 'before' : 'after'} #${cursor.seq} matches ${filter}` : formatEvent(found));
        return false;
      }
      case 's':
      case 'state':
        noArgument(word, argument);
        print(formatState(cursor.state, cursor.event));
        return false;
      case 'i':
      case 'irp': {
        const id = integer(argument, 'irp takes an IRP id, e.g. irp 4');
        const history = timeline.irpHistory(id);
        if (history.length === 0) throw new CommandError(`irp ${id} does not appear in the trace`);
        for (const e of history) print(formatEvent(e));
        return false;
      }
      case 'c':
      case 'cpu': {
        const id = integer(argument, 'cpu takes a processor number, e.g. cpu 0');
        const cpu = cursor.state.cpus[id];
        if (cpu === undefined) throw new CommandError(`there is no cpu ${id}: the trace has cpu 0 to ${cursor.state.cpus.length - 1}`);
        print(formatCpuLines(cpu, true).join('\n'));
        return false;
      }
      case 'h':
      case 'help':
      case '?':
        noArgument(word, argument);
        print(PROMPT_HELP);
        return false;
      case 'q':
      case 'quit':
      case 'exit':
        noArgument(word, argument);
        return true;
      default:
        throw new CommandError(`unknown command "${word}" (type help for the commands)`);
    }
  }
}

/** A prompt command that cannot run as typed. */
class CommandError extends Error {}

/** Commands without arguments refuse one rather than ignore it (a typo would otherwise go unseen). */
function noArgument(word: string, argument: string): void {
  if (argument !== '') throw new CommandError(`${word} takes no argument (got "${argument}")`);
}

function count(argument: string): number {
  return argument === '' ? 1 : integer(argument, 'expected a count, e.g. next 10');
}

function integer(argument: string, usage: string): number {
  if (!/^\d+$/.test(argument)) throw new CommandError(argument === '' ? usage : `"${argument}" is not a non-negative integer (${usage})`);
  return Number(argument);
}
