import type { Command } from 'commander';
import { findBuiltin } from '../../scenarios/index.js';
import { executeRun, exitCodeFor } from '../execute.js';
import { printReport } from './run.js';

const NEXT_STEPS = [
  ['irptrace scenarios', 'the built-in scenarios, and the bug each buggy one plants'],
  ['irptrace run pending-but-success --seed 3', 'run a buggy stack'],
  ['irptrace run ./scenarios/examples/minimal.ts', 'run a scenario file (see docs/scenarios.md)'],
  ['npm test', 'the test suite'],
] as const;

/** `irptrace start` (what `npm start` runs): the correct `demo` stack, summarised, then what to try next. */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the built-in demo scenario (seed 1) and show what to try next')
    .action(async () => {
      const demo = findBuiltin('demo');
      if (demo === undefined) throw new Error('the built-in demo scenario is missing');
      process.stdout.write('The built-in demo: the correct stack (a filter driver over a disk driver), seed 1.\n\n');
      const report = await executeRun(demo, { seed: 1 });
      printReport(report, false);
      const width = Math.max(...NEXT_STEPS.map(([command]) => command.length));
      const next = NEXT_STEPS.map(([command, what]) => `  ${command.padEnd(width)}  # ${what}`);
      process.stdout.write(`\nnext:\n${next.join('\n')}\n`);
      process.exitCode = exitCodeFor(report);
    });
}
