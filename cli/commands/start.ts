import { isAbsolute, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { formatFindings } from '../../queries/format.js';
import { defaultTracePrefix } from '../../recorder/paths.js';
import { printReport } from './run.js';

/**
 * `irptrace start` (what `npm start` runs), the main job: the correct `demo` stack recorded into
 * ./traces/ (the same file every time), checked against the rule pack, summarised, then what to try next.
 */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('record the built-in demo (seed 1) into ./traces/, check it against the rule pack, and show what to try next')
    .action(async () => {
      const [{ findBuiltin }, { executeRun, exitCodeFor }, { checkTrace }] = await Promise.all([
        import('../../scenarios/index.js'), import('../execute.js'), import('../../queries/index.js'),
      ]);
      const demo = findBuiltin('demo');
      if (demo === undefined) throw new Error('the built-in demo scenario is missing');
      process.stdout.write('The built-in demo: the correct stack (a filter driver over a disk driver), seed 1, recorded and checked.\n\n');
      const out = defaultTracePrefix(demo.name, 1);
      const report = await executeRun(demo, { seed: 1 }, { progress: true, record: { out, formats: ['sqlite', 'arrow'], force: true, source: 'demo' } });
      printReport(report, false);
      const sqlite = report.trace?.sqlite ?? `${out}.sqlite`;
      const check = await checkTrace(sqlite);
      process.stdout.write(`\nrule pack (${check.rules.length} rules) over ${sqlite}:\n${formatFindings(check)}\n`);
      const next: [string, string][] = [
        [`irptrace info ${sqlite}`, 'what the trace holds'],
        [`irptrace query ${sqlite} "SELECT kind, count(*) FROM events GROUP BY kind"`, 'ask it a question in SQL (views: docs/queries.md)'],
        [`irptrace replay ${sqlite} --at 500`, 'the machine at event 500 (-i for a time-travel prompt)'],
        [`irptrace replay ${sqlite} --verify`, 're-execute the run and prove it identical'],
        ['irptrace scenarios', 'the built-in scenarios, and the bug each buggy one plants'],
        ['irptrace run pending-but-success --check', 'record a buggy stack and see the rule that catches it'],
        [`irptrace run ${exampleScenarioPath()}`, 'run a scenario file (see docs/scenarios.md)'],
        ...(isPackageRoot() ? [['npm test', 'the test suite'] as [string, string]] : []),
      ];
      const width = Math.max(...next.map(([command]) => command.length));
      process.stdout.write(`\nnext:\n${next.map(([command, what]) => `  ${command.padEnd(width)}  # ${what}`).join('\n')}\n`);
      process.exitCode = check.failed ? 1 : exitCodeFor(report);
    });
}

/** The example scenario file, as a path from where the user is (`npm start` runs at the repository's root; `npx irptrace start` anywhere). */
function exampleScenarioPath(): string {
  const path = relative(process.cwd(), fileURLToPath(new URL('../../scenarios/examples/minimal.ts', import.meta.url)));
  return isAbsolute(path) || path.startsWith('..') ? path : `.${sep}${path}`;
}

/** Whether the user is in irptrace's own directory, where `npm test` runs its suite. */
function isPackageRoot(): boolean {
  return relative(process.cwd(), fileURLToPath(new URL('../..', import.meta.url))) === '';
}
