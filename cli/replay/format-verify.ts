import type { TraceEvent } from '../../model/index.js';
import { EVENT_FIELDS, type VerifyResult } from '../../replayer/index.js';

const integer = new Intl.NumberFormat('en-US');

/**
 * What `replay --verify` prints: `identical: N events, hash …`, or the first diverging seq and both
 * events side by side, the differing columns marked.
 */
export function formatVerify(r: VerifyResult): string {
  const { config, scenario, file } = r.run;
  const what = `${file ?? scenario}, seed ${config.seed}, ${config.cpus} CPU${config.cpus === 1 ? '' : 's'}, ${integer.format(config.requests)} requests${config.threadDpcEnable ? '' : ', threaded DPCs off'}`;
  if (r.divergence === null) {
    const note = r.interrupted ? ' before the signal that stopped the recording (SessionEnded interrupted: not re-executed)'
      : r.unfinished ? ' (the recording did not finish: compared as far as it goes)' : '';
    return `identical: ${integer.format(r.events)} events, hash ${r.hash}${note}\nre-executed ${what}`;
  }
  const d = r.divergence;
  const lines = [`diverged at seq ${d.seq} (after ${integer.format(r.events)} identical events)`, `re-executed ${what}`, ''];
  const rows: [string, string, string, boolean][] = EVENT_FIELDS.map((f) => [f, cell(d.recorded, f), cell(d.replayed, f), d.fields.includes(f)]);
  const w0 = Math.max(...rows.map((r) => r[0].length), 'column'.length);
  const w1 = Math.max(...rows.map((r) => r[1].length), 'recorded'.length);
  lines.push(`    ${'column'.padEnd(w0)}  ${'recorded'.padEnd(w1)}  re-executed`);
  for (const [name, a, b, differs] of rows) lines.push(`  ${differs ? '≠' : ' '} ${name.padEnd(w0)}  ${a.padEnd(w1)}  ${b}`);
  return lines.join('\n');
}

function cell(e: TraceEvent | null, field: keyof TraceEvent): string {
  if (e === null) return '(no event)';
  const v = e[field];
  return v === null ? 'NULL' : String(v);
}
