import { canonicalState, irqlName, type CpuState, type IrpState, type MachineState, type TraceEvent } from '../../model/index.js';
import { formatEvent, formatTime } from './format-event.js';

/**
 * The machine state after an event, for a terminal: the event, then per CPU (IRQL, thread, raise
 * frames, routine stack), live IRPs (id, how allocated, CurrentLocation/StackCount, phase, device,
 * pending bits, completion routines, master and IrpCount, cancel routine), then DPC queues and
 * held spin locks.
 */
export function formatState(state: MachineState, event: TraceEvent): string {
  const out: string[] = [`at         ${formatEvent(event)}`, `time       ${formatTime(state.timeNs)}${state.ended !== null ? `  (session ended: ${state.ended})` : ''}`, ''];
  out.push('CPUs');
  for (const cpu of state.cpus) out.push(...formatCpuLines(cpu));
  out.push('', `IRPs (${state.irps.size} live)`);
  const irps = [...state.irps.values()].sort((a, b) => a.id - b.id);
  if (irps.length === 0) out.push('  none');
  for (const irp of irps) out.push(...formatIrpLines(irp));
  out.push('', 'DPC queues');
  for (const cpu of state.cpus) out.push(`  cpu ${cpu.id}  ${cpu.dpcQueue.length === 0 ? '-' : cpu.dpcQueue.join(', ')}`);
  out.push('', 'spin locks');
  const locks = [...state.locks].sort(([a], [b]) => (a < b ? -1 : 1));
  if (locks.length === 0) out.push('  none held');
  for (const [lock, cpu] of locks) out.push(`  ${lock}  held by cpu ${cpu}`);
  return out.join('\n');
}

/** One processor: IRQL, thread, raise frames (innermost last), routine stack (innermost last), DPC queue. */
export function formatCpuLines(cpu: CpuState, withQueue = false): string[] {
  const lines = [`  cpu ${cpu.id}  ${irqlName(cpu.irql)}  ${cpu.thread === null ? 'arbitrary context (no thread)' : `thread ${cpu.thread}`}`];
  const frames = cpu.frames.map((f) => `${f.api}${f.lock !== null ? `(${f.lock})` : ''} ${irqlName(f.savedOld)} → ${irqlName(f.raisedTo)}`);
  lines.push(`         raise frames  ${frames.length === 0 ? '-' : frames.join(' | ')}`);
  const routines = cpu.routines.map((r) => `${r.kind} ${r.routine} (${r.driver}) #${r.activation}`);
  lines.push(`         routines      ${routines.length === 0 ? '-' : routines.join(' > ')}`);
  if (withQueue) lines.push(`         DPC queue     ${cpu.dpcQueue.length === 0 ? '-' : cpu.dpcQueue.join(', ')}`);
  return lines;
}

function formatIrpLines(irp: IrpState): string[] {
  const head = [
    `  irp ${irp.id}`.padEnd(10), irp.api, `loc ${irp.loc}/${irp.stackCount}`, irp.phase,
    `device ${irp.device ?? '-'}`,
    `pending ${irp.pending.length === 0 ? '-' : irp.pending.join(',')}`,
    irp.master !== null ? `master ${irp.master}` : `IrpCount ${irp.irpCount}`,
    `cancel ${irp.cancelRoutine ?? '-'}`,
  ];
  const lines = [head.join('  ')];
  for (const c of irp.completions) {
    const on = [c.onSuccess ? 'success' : '', c.onError ? 'error' : '', c.onCancel ? 'cancel' : ''].filter((s) => s !== '');
    lines.push(`          completion at loc ${c.loc}: ${c.routine} [${on.length === 0 ? 'never invoked' : on.join(' ')}]`);
  }
  return lines;
}

/** The same, as JSON: the event, then the state in canonical form (IRPs by id, locks by name). */
export function stateJson(state: MachineState, event: TraceEvent): unknown {
  const canonical = canonicalState(state) as { cpus: unknown; irps: unknown; locks: [string, number][]; parked: unknown };
  return {
    seq: event.seq, timeNs: state.timeNs, ended: state.ended, event,
    cpus: canonical.cpus, irps: canonical.irps,
    locks: canonical.locks.map(([lock, cpu]) => ({ lock, cpu })),
    parked: canonical.parked,
  };
}
