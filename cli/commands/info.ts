import type { Command } from 'commander';
import { RecorderError } from '../../recorder/errors.js';
import type { TraceInfo } from '../../recorder/index.js';
import { UsageError } from '../errors.js';
import { whyEnded } from '../format.js';

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
    ['config', describeConfig(facts.seed, facts.cpus, facts.config)],
    ['versions', `irptrace ${facts.toolVersion}, trace schema ${facts.schemaVersion}`],
    ['recorded', `${facts.startedAt} → ${end?.endedAt ?? '(did not finish)'}`],
    ['end', end === null ? 'unfinished: the recording was killed (what is in the file is consistent up to its last batch)' : `${end.endReason}${whyEnded(end.endReason, info.endDetail)}`],
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

/**
 * The run configuration in words (the session's `config` JSON: requests, event limit, the scenario
 * file): `seed 1, 2 CPUs, 200 requests, at most 1,000,000 events, file /home/me/s.ts`. A config that
 * is not that JSON is shown as it is.
 */
function describeConfig(seed: number, cpus: number, config: string): string {
  const parts = [`seed ${seed}`, `${cpus} CPU${cpus === 1 ? '' : 's'}`];
  let parsed: { requests?: unknown; maxEvents?: unknown; scenario?: unknown; source?: unknown };
  try {
    parsed = JSON.parse(config) as typeof parsed;
  } catch {
    return `${parts.join(', ')}  ${config}`;
  }
  if (typeof parsed.requests === 'number') parts.push(`${integer.format(parsed.requests)} request${parsed.requests === 1 ? '' : 's'}`);
  if (typeof parsed.maxEvents === 'number' && parsed.maxEvents < Number.MAX_SAFE_INTEGER) parts.push(`at most ${integer.format(parsed.maxEvents)} events`);
  if (typeof parsed.source === 'string' && parsed.source !== parsed.scenario) parts.push(`file ${parsed.source}`);
  return parts.join(', ');
}
