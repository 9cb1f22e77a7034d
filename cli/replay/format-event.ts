import { irqlName, ntStatusName, type TraceEvent } from '../../model/index.js';

/** Simulated time for a reader: ns, µs, ms or s with three decimals. */
export function formatTime(ns: number): string {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(3)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(3)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(3)} µs`;
  return `${ns} ns`;
}

/**
 * One event on one line: `#seq  time  cpu N IRQL  Kind  routine (driver)  irp 4 loc 2 …` — every
 * non-NULL column but the hash, the envelope first.
 *
 * @example
 * ```text
 * #1234  45.250 µs  cpu 1 DIRQL 5  IrpCompleted  DiskDpcForIsr (disk)  irp 4 loc 3 status STATUS_SUCCESS api IoCompleteRequest
 * ```
 */
export function formatEvent(e: TraceEvent): string {
  const parts = [`#${e.seq}`.padEnd(8), formatTime(e.timeNs).padStart(12)];
  parts.push(e.cpu === null ? '-'.padEnd(20) : `cpu ${e.cpu} ${e.irql === null ? '' : irqlName(e.irql)}`.padEnd(20));
  parts.push(e.kind.padEnd(23));
  if (e.routine !== null) parts.push(`${e.routine}${e.driver !== null ? ` (${e.driver})` : ''}`);
  const fields: string[] = [];
  if (e.thread !== null) fields.push(`thread ${e.thread}`);
  if (e.device !== null) fields.push(`device ${e.device}`);
  if (e.irp !== null) fields.push(`irp ${e.irp}`);
  if (e.master !== null) fields.push(`master ${e.master}`);
  if (e.major !== null) fields.push(e.major);
  if (e.loc !== null) fields.push(`loc ${e.loc}`);
  if (e.status !== null) fields.push(`status ${ntStatusName(e.status)}`);
  if (e.newIrql !== null) fields.push(`→ ${irqlName(e.newIrql)}`);
  if (e.dpc !== null) fields.push(`dpc ${e.dpc}`);
  if (e.lock !== null) fields.push(`lock ${e.lock}`);
  if (e.vector !== null) fields.push(`vector 0x${e.vector.toString(16)}`);
  if (e.result !== null) fields.push(`result ${e.result}`);
  if (e.api !== null) fields.push(`api ${e.api}`);
  if (e.detail !== null) fields.push(e.detail);
  if (fields.length > 0) parts.push(fields.join(' '));
  return parts.join('  ').trimEnd();
}

/** Every column of an event, one per line (`--verify` shows two side by side with formatSideBySide). */
export function eventColumns(e: TraceEvent): [string, string][] {
  return (Object.keys(e) as (keyof TraceEvent)[]).map((k) => [k, e[k] === null ? 'NULL' : String(e[k])]);
}
