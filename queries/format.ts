import type { CheckResult } from './check.js';
import type { QueryResult } from './engine.js';

export type RowFormat = 'table' | 'json' | 'csv';

/** A query's rows as an aligned text table, a JSON array of objects, or CSV (RFC 4180). */
export function formatRows(result: QueryResult, format: RowFormat): string {
  const { columns, rows } = result;
  if (format === 'json') {
    const keys = uniqueNames(columns);
    return JSON.stringify(rows.map((row) => Object.fromEntries(keys.map((c, i) => [c, jsonValue(row[i])]))), null, 2);
  }
  if (format === 'csv') {
    return [columns, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n');
  }
  const text = rows.map((row) => row.map(cell));
  // A loop, not Math.max(...): spreading a column of 100k+ rows overflows the call stack.
  const widths = columns.map((c, i) => {
    let w = c.length;
    for (const r of text) if (r[i]!.length > w) w = r[i]!.length;
    return Math.min(60, w);
  });
  const numeric = columns.map((_, i) => rows.length > 0 && rows.every((r) => r[i] === null || typeof r[i] === 'number' || typeof r[i] === 'bigint'));
  const line = (cells: readonly string[], header = false): string =>
    cells.map((c, i) => {
      const v = c.length > widths[i]! ? `${c.slice(0, widths[i]! - 1)}…` : c;
      return !header && numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!);
    }).join('  ').trimEnd();
  const out = [line(columns, true), widths.map((w) => '-'.repeat(w)).join('  '), ...text.map((r) => line(r))];
  out.push(`(${rows.length} row${rows.length === 1 ? '' : 's'})`);
  return out.join('\n');
}

/** JSON object keys for the columns: a repeated name (`e.irp, l.irp` are both `irp`) gets `_2`, `_3`… so no column is lost. */
function uniqueNames(columns: readonly string[]): string[] {
  const taken = new Set<string>();
  return columns.map((c) => {
    let name = c;
    for (let n = 2; taken.has(name); n++) name = `${c}_${n}`;
    taken.add(name);
    return name;
  });
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (v instanceof Uint8Array) return `x'${Buffer.from(v).toString('hex')}'`;
  return String(v);
}

function jsonValue(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return v ?? null;
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : cell(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The findings of a check, for a terminal: each with its events and the replay command, then a summary line. */
export function formatFindings(result: CheckResult): string {
  const out: string[] = [];
  for (const f of result.findings) {
    out.push(`${f.severity.toUpperCase()} ${f.rule}: ${f.message}`);
    for (const e of f.events) {
      out.push(`    seq ${String(e.seq).padStart(7)}  ${formatTime(e.timeNs).padStart(12)}  cpu ${e.cpu === null ? '-' : e.cpu}  ${e.kind}${e.routine !== null ? `  ${e.routine}` : ''}${e.irp !== null ? `  irp ${e.irp}` : ''}`);
    }
    out.push(`    → ${f.replay}`);
  }
  const { fatal, error, warning } = result.counts;
  if (result.findings.length > 0) out.push('');
  out.push(`${result.rules.length} rule${result.rules.length === 1 ? '' : 's'} checked over ${result.events.toLocaleString('en-US')} event${result.events === 1 ? '' : 's'}: ${fatal} fatal, ${error} error${error === 1 ? '' : 's'}, ${warning} warning${warning === 1 ? '' : 's'}`);
  if (!result.finished) out.push('(the recording did not finish: what never happened by its end is not reported)');
  if (result.source !== result.trace) out.push(`(read from ${result.source}, recorded beside it: the same recording, with the same final hash)`);
  return out.join('\n');
}

function formatTime(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(3)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(3)} µs`;
  return `${ns} ns`;
}
