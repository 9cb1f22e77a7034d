import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerCheck } from './commands/check.js';
import { registerInfo } from './commands/info.js';
import { registerQuery } from './commands/query.js';
import { registerReplay } from './commands/replay.js';
import { registerRun } from './commands/run.js';
import { registerScenarios } from './commands/scenarios.js';
import { registerStart } from './commands/start.js';
import { reportFailure } from './errors.js';

// Output piped into a reader that stops early (`irptrace query … | head`): stop quietly, as a Unix
// tool does, instead of dying on an unhandled EPIPE.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const { version, description } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string; description: string };

const program = new Command('irptrace')
  .description(description)
  .version(version)
  .option('--debug', 'show stack traces when something fails')
  // Commander throws instead of exiting, and stays quiet: reportFailure prints its errors as one line.
  .exitOverride()
  .configureOutput({ outputError: () => {} })
  .showHelpAfterError(false);

// Subcommands made with .command() inherit the settings above, so register them after.
registerScenarios(program);
registerRun(program);
registerStart(program);
registerInfo(program);
registerQuery(program);
registerCheck(program);
registerReplay(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // --debug may sit anywhere on the line, and parsing may have failed before commander read it.
  const args = process.argv.slice(2);
  const command = program.commands.find((c) => args.includes(c.name()));
  process.exitCode = reportFailure(error, { debug: args.includes('--debug'), helpCommand: `irptrace ${command === undefined ? '' : `${command.name()} `}--help` });
}
