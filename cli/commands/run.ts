import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { RunConfig, ScenarioDefinition } from '../../model/index.js';
import type { CheckResult } from '../../queries/index.js';
import { formatFindings } from '../../queries/format.js';
import { defaultTracePrefix, TRACE_FORMATS, tracePaths, type TraceFormat } from '../../recorder/paths.js';
import { EXIT, UsageError } from '../errors.js';
import type { RunReport } from '../execute.js';
import { formatReport } from '../format.js';
import { integerIn, tracePrefix } from '../options.js';

/** The options of `run`, as commander parses them. */
export interface RunOptions {
  readonly seed: number;
  readonly cpus: number;
  readonly requests?: number;
  readonly maxEvents?: number;
  /** false with --no-threaded-dpcs; commander's default true means "the scenario's own". */
  readonly threadedDpcs: boolean;
  readonly out?: string;
  readonly format: readonly TraceFormat[];
  readonly force?: boolean;
  /** false with --no-record. */
  readonly record: boolean;
  readonly check?: boolean;
  readonly json?: boolean;
}

/** `irptrace run <scenario|file>`: runs a built-in or a scenario file, records it, and prints a summary. */
export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a built-in scenario or a scenario file (.ts, .js, .mjs), record it (SQLite and Arrow) and summarise it')
    .argument('<scenario>', 'a built-in scenario name (see: irptrace scenarios) or a path to a scenario file')
    .addOption(new Option('--seed <n>', 'seed of the run; same seed, same run').argParser(integerIn(0)).default(1))
    .addOption(new Option('--cpus <n>', 'processors of the simulated machine').argParser(integerIn(1, 32)).default(2))
    .addOption(new Option('--requests <n>', "requests in the workload (default: the scenario's own)").argParser(integerIn(0)))
    .addOption(new Option('--max-events <n>', 'stop the run (end reason: limit) after this many events').argParser(integerIn(2)))
    .option('--no-threaded-dpcs', 'run threaded DPCs as ordinary DPCs at DISPATCH_LEVEL (the ThreadDpcEnable registry value 0)')
    .addOption(new Option('--out <prefix>', 'write <prefix>.sqlite and <prefix>.arrow (default: traces/<scenario>-seed<N>, a fresh name)').argParser(tracePrefix))
    .addOption(new Option('--format <formats>', 'which trace files to write: sqlite, arrow or both').argParser(traceFormats).default(TRACE_FORMATS, 'sqlite,arrow'))
    .option('--force', 'overwrite an existing trace at --out')
    .option('--no-record', 'run without writing a trace')
    .option('--check', 'run the rule pack over the trace when the run ends (exit 1 if an error rule fires)')
    .option('--json', 'print the summary as one JSON object')
    .action(async (ref: string, options: RunOptions, command: Command) => {
      if (!options.record) {
        // Options about the trace mean nothing without one: say so rather than ignore them.
        const given = ['out', 'format', 'force', 'check'].filter((o) => command.getOptionValueSource(o) === 'cli');
        if (given.length > 0) throw new UsageError(`--no-record writes no trace, so ${given.map((o) => `--${o}`).join(', ')} cannot apply`);
      }
      // The model, recorder and rule pack load only when the command runs: `irptrace --help` stays quick.
      const { loadScenario, isScenarioPath } = await import('../load-scenario.js');
      const scenario = await loadScenario(ref);
      const [{ executeRun, exitCodeFor }, { checkTrace }] = await Promise.all([import('../execute.js'), import('../../queries/index.js')]);
      const report = await executeRun(scenario, runConfig(options), {
        progress: options.json !== true,
        ...(options.record ? { record: { out: options.out ?? freshTracePrefix(scenario, options), formats: options.format, force: options.force === true, source: isScenarioPath(ref) ? resolve(ref) : ref } } : {}),
      });
      const check = options.check === true && report.trace !== undefined ? await checkTrace((report.trace.sqlite ?? report.trace.arrow)!) : undefined;
      printReport(report, options.json === true, check);
      process.exitCode = check?.failed === true ? EXIT.scenarioError : exitCodeFor(report);
    });
}

function traceFormats(value: string): TraceFormat[] {
  const formats = value.split(',').map((f) => f.trim()).filter((f) => f !== '');
  const unknown = formats.filter((f) => !(TRACE_FORMATS as readonly string[]).includes(f));
  if (formats.length === 0 || unknown.length > 0) throw new InvalidArgumentError(`expected sqlite, arrow or sqlite,arrow (not ${unknown.join(', ') || 'nothing'})`);
  return [...new Set(formats)] as TraceFormat[];
}

/** traces/<scenario>-seed<N>, or -2, -3, … when a trace of that name is already there: a default never overwrites. */
function freshTracePrefix(scenario: ScenarioDefinition, options: RunOptions): string {
  const base = defaultTracePrefix(scenario.name, options.seed);
  for (let n = 1; ; n++) {
    const prefix = n === 1 ? base : `${base}-${n}`;
    const paths = tracePaths(prefix, options.format);
    if (![paths.sqlite, paths.arrow].some((p) => p !== undefined && existsSync(p))) return prefix;
  }
}

/** The run configuration the options ask for; absent ones fall back to the simulator's defaults. */
export function runConfig(options: Pick<RunOptions, 'seed' | 'cpus' | 'requests' | 'maxEvents'> & { readonly threadedDpcs?: boolean }): Partial<RunConfig> {
  return {
    seed: options.seed,
    cpus: options.cpus,
    ...(options.requests !== undefined ? { requests: options.requests } : {}),
    ...(options.maxEvents !== undefined ? { maxEvents: options.maxEvents } : {}),
    // Only --no-threaded-dpcs says anything: otherwise the scenario's machine decides.
    ...(options.threadedDpcs === false ? { threadDpcEnable: false } : {}),
  };
}

/** Prints a report (and the rule pack's findings): JSON on stdout, or the readable summary. */
export function printReport(report: RunReport, json: boolean, check?: CheckResult): void {
  if (json) {
    const findings = check === undefined ? {} : { check: { counts: check.counts, failed: check.failed, findings: check.findings } };
    process.stdout.write(`${JSON.stringify({ ...report, ...findings }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${formatReport(report)}\n`);
  if (check !== undefined) process.stdout.write(`\nrule pack (${check.rules.length} rules):\n${formatFindings(check)}\n`);
}
