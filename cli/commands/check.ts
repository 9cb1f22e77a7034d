import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { isDamagedDatabase, RecorderError, TraceDamagedError } from '../../recorder/errors.js';
import { EXIT, UsageError } from '../errors.js';

interface CheckCliOptions {
  readonly rule?: string[];
  readonly rules?: string[];
  readonly format: 'table' | 'json';
}

/**
 * `irptrace check <trace>`: runs the rule pack and lists each finding with the events involved and
 * the replay command that goes there. Exit 1 when an error or fatal rule fired, 0 otherwise, 2 for
 * bad input (no such trace, not a trace, unknown rule id, bad rules directory).
 */
export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('run the rule pack over a trace and list the violations it finds (exit 1 if an error or fatal rule fires)')
    // Optional for commander, required here: `check --rule A t.sqlite` takes t.sqlite as a rule id
    // (--rule takes every word after it), and the message should say so.
    .argument('[trace]', 'a trace file (.sqlite or .arrow)')
    .option('--rule <id...>', 'run only these rules (ids as in docs/queries.md)')
    .option('--rules <dir...>', 'also load the .sql rules of this directory')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (path: string | undefined, options: CheckCliOptions) => {
      if (path === undefined) {
        throw new UsageError(options.rule !== undefined || options.rules !== undefined
          ? "missing the trace: put it before --rule and --rules, which take every word after them (irptrace check t.sqlite --rule ID…)"
          : "missing required argument 'trace' (see: irptrace check --help)");
      }
      const { RuleError, checkTrace, formatFindings } = await import('../../queries/index.js');
      let result;
      try {
        result = await checkTrace(path, {
          // A rule or a directory named twice is run or loaded once.
          ...(options.rule !== undefined ? { rules: [...new Set(options.rule)] } : {}),
          ...(options.rules !== undefined ? { rulesDirs: [...new Map(options.rules.map((d) => [resolve(d), d])).values()] } : {}),
        });
      } catch (error) {
        // A damaged file first: SQLite's failure may come back from the second thread as a rule's error.
        if (isDamagedDatabase(error)) throw new UsageError(new TraceDamagedError(path, error).message, { cause: error });
        if (error instanceof RecorderError || error instanceof RuleError) throw new UsageError(error.message, { cause: error });
        throw error;
      }
      if (options.format === 'json') {
        const { findings, counts, failed, events, finished } = result;
        process.stdout.write(`${JSON.stringify({ trace: path, events, finished, rules: result.rules.map((r) => r.id), counts, failed, findings }, null, 2)}\n`);
      } else {
        process.stdout.write(`${formatFindings(result)}\n`);
      }
      process.exitCode = result.failed ? EXIT.scenarioError : EXIT.ok;
    });
}
