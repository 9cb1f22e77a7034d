import { Option, type Command } from 'commander';
import type { RunConfig } from '../../model/index.js';
import { executeRun, exitCodeFor, type RunReport } from '../execute.js';
import { formatReport } from '../format.js';
import { loadScenario } from '../load-scenario.js';
import { integerIn } from '../options.js';

/** The options of `run`, as commander parses them. */
export interface RunOptions {
  readonly seed: number;
  readonly cpus: number;
  readonly requests?: number;
  readonly maxEvents?: number;
  readonly json?: boolean;
}

/** `irptrace run <scenario|file>`: runs a built-in or a scenario file and prints a summary. */
export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a built-in scenario or a scenario file (.ts, .js, .mjs) and summarise it')
    .argument('<scenario>', 'a built-in scenario name (see: irptrace scenarios) or a path to a scenario file')
    .addOption(new Option('--seed <n>', 'seed of the run; same seed, same run').argParser(integerIn(0)).default(1))
    .addOption(new Option('--cpus <n>', 'processors of the simulated machine').argParser(integerIn(1, 32)).default(2))
    .addOption(new Option('--requests <n>', "requests in the workload (default: the scenario's own)").argParser(integerIn(0)))
    .addOption(new Option('--max-events <n>', 'stop the run (end reason: limit) after this many events').argParser(integerIn(2)))
    .option('--json', 'print the summary as one JSON object')
    .action(async (ref: string, options: RunOptions) => {
      const scenario = await loadScenario(ref);
      const report = await executeRun(scenario, runConfig(options));
      printReport(report, options.json === true);
      process.exitCode = exitCodeFor(report);
    });
}

/** The run configuration the options ask for; absent ones fall back to the simulator's defaults. */
export function runConfig(options: RunOptions): Partial<RunConfig> {
  return {
    seed: options.seed,
    cpus: options.cpus,
    ...(options.requests !== undefined ? { requests: options.requests } : {}),
    ...(options.maxEvents !== undefined ? { maxEvents: options.maxEvents } : {}),
  };
}

/** Prints a report: JSON on stdout, or the readable summary. */
export function printReport(report: RunReport, json: boolean): void {
  process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
}
