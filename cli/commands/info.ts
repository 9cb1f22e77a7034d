import type { Command } from 'commander';
import { RecorderError } from '../../recorder/errors.js';
import type { TraceInfo } from '../../recorder/index.js';
import { UsageError } from '../errors.js';

const integer = new Intl.NumberFormat('en-US');

/** `irptrace info <trace>`: what a trace file holds — its session, how it ended, its events by kind. */
export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('describe a trace file (.sqlite or .arrow): scenario, configuration, versions, end, hash, events by kind')
    .argument('<trace>', 'a trace file written by irptrace run')
    .option('--json', 'print it as one JSON object')
    .action(async (path: string, options: { json?: boolean }) => {
      const { readTraceInfo } = await import('../../recorder/index.js');
      let info: TraceInfo;
      try {
        info = await readTraceInfo(path);
      } catch (error) {
        if (error instanceof RecorderError) throw new UsageError(error.message, { cause: error });
        throw error;
      }
      process.stdout.write(options.json === true ? `${JSON.stringify(info, null, 2)}\n` : `${formatInfo(info)}\n`);
    });
}

function formatInfo(info: TraceInfo): string {
  const { facts, end } = info;
  const rows: [string, string][] = [
    ['trace', `${info.path} (${info.format})`],
    ['scenario', facts.scenario],
    ['config', `seed ${facts.seed}, ${facts.cpus} CPU${facts.cpus === 1 ? '' : 's'}  ${facts.config}`],
    ['versions', `irptrace ${facts.toolVersion}, trace schema ${facts.schemaVersion}`],
    ['recorded', `${facts.startedAt} → ${end?.endedAt ?? '(did not finish)'}`],
    ['end', end === null ? 'unfinished: the recording was killed (what is in the file is consistent up to its last batch)' : end.endReason],
    ['events', `${integer.format(info.events)}${end !== null && end.eventCount !== info.events ? ` (the run emitted ${integer.format(end.eventCount)})` : ''}${info.truncated ? ', file truncated inside a batch' : ''}`],
    ['final hash', end?.finalHash ?? '(unknown: unfinished)'],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const kinds = Object.entries(info.kinds);
  const kindWidth = Math.max(0, ...kinds.map(([k]) => k.length));
  const countWidth = Math.max(0, ...kinds.map(([, n]) => integer.format(n).length));
  return [
    ...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`),
    '',
    'events by kind',
    ...kinds.map(([k, n]) => `  ${k.padEnd(kindWidth)}  ${integer.format(n).padStart(countWidth)}`),
  ].join('\n');
}
