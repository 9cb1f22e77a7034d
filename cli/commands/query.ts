import { Option, type Command } from 'commander';
import type { RowFormat, TraceQuery } from '../../queries/index.js';
import { isDamagedDatabase, RecorderError, TraceDamagedError } from '../../recorder/errors.js';
import { EXIT, UsageError } from '../errors.js';

/** `irptrace query <trace> "<SQL>"`: one read-only statement over a trace (SQLite or Arrow) and its views. */
export function registerQuery(program: Command): void {
  program
    .command('query')
    .description('run one read-only SQL statement on a trace (SQLite or Arrow) with the views of docs/queries.md')
    .argument('<trace>', 'a trace file (.sqlite or .arrow)')
    .argument('<sql>', 'the statement, e.g. "SELECT * FROM irp_lifetimes LIMIT 10"')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
    .action(async (path: string, sql: string, options: { format: RowFormat }) => {
      const { QueryError, formatRows } = await import('../../queries/index.js');
      const trace = await openForCli(path);
      try {
        const result = trace.query(sql, [], { exactIntegers: true });
        process.stdout.write(`${formatRows(result, options.format)}\n`);
      } catch (error) {
        if (isDamagedDatabase(error)) throw new UsageError(new TraceDamagedError(path, error).message, { cause: error });
        if (!(error instanceof QueryError)) throw error;
        // SQLite's message and a caret under the position: more than one line, on purpose.
        process.stderr.write(`irptrace: ${error.describe()}\n`);
        process.exitCode = EXIT.usage;
      } finally {
        trace.close();
      }
    });
}

/** Opens a trace for a command; a missing, foreign or corrupt file is the user's mistake (exit 2). */
export async function openForCli(path: string): Promise<TraceQuery> {
  const { TraceQuery } = await import('../../queries/index.js');
  try {
    return await TraceQuery.open(path);
  } catch (error) {
    if (error instanceof RecorderError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
}
