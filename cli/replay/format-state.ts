import { canonicalState, irqlName, type CpuState, type IrpState, type MachineState, type TraceEvent } from '../../model/index.js';
import { formatEvent, formatTime } from './format-event.js';

/**
 * The machine state after an event, for a terminal: the event, then per CPU (IRQL, thread, raise
 * frames, routine stack), the threads off every CPU with a routine under way, live IRPs (id, how allocated, CurrentLocation/StackCount, phase, device,
 * pending bits, completion routines, master and IrpCount, cancel routine), then DPC queues and
 * held spin locks.
 */
export function formatState(state: MachineState, event: TraceEvent): string {
  const out: string[] = [`at         ${formatEvent(event)}`, `time       ${formatTime(state.timeNs)}${state.ended !== null ? `  (session ended: ${state.ended})` : ''}`, ''];
  out.push('CPUs');
  for (const cpu of state.cpus) out.push(...formatCpuLines(cpu));
  // Threads off every processor (waiting, ready, sleeping) with a routine under way in them.
  const parked = [...state.parked]
    .filter(([key, c]) => key.startsWith('thread:') && (c.routines.length > 0 || c.frames.length > 0 || c.irql !== 0))
    .sort(([a], [b]) => Number(a.slice(7)) - Number(b.slice(7)));
  if (parked.length > 0) {
    out.push('', 'threads off the CPUs');
    for (const [key, c] of parked) {
      out.push(`  thread ${key.slice(7)}  ${irqlName(c.irql)}`);
      out.push(...contextLines(c.frames, c.routines));
    }
  }
  out.push('', `IRPs (${state.irps.size} live)`);
  const irps = [...state.irps.values()].sort((a, b) => a.id - b.id);
  if (irps.length === 0) out.push('  none');
  for (const irp of irps) out.push(...formatIrpLines(irp));
  out.push('', 'DPC queues');
  for (const cpu of state.cpus) out.push(`  cpu ${cpu.id}  ${dpcQueues(cpu)}`);
  out.push('', 'spin locks');
  const locks = [...state.locks].sort(([a], [b]) => (a < b ? -1 : 1));
  if (locks.length === 0) out.push('  none held');
  for (const [lock, cpu] of locks) out.push(`  ${lock}  held by cpu ${cpu}`);
  return out.join('\n');
}

/** One processor: IRQL, thread, raise frames (innermost last), routine stack (innermost last), DPC queue. */
export function formatCpuLines(cpu: CpuState, withQueue = false): string[] {
  const lines = [`  cpu ${cpu.id}  ${irqlName(cpu.irql)}  ${cpu.thread === null ? 'arbitrary context (no thread)' : `thread ${cpu.thread}`}`, ...contextLines(cpu.frames, cpu.routines)];
  if (withQueue) lines.push(`         DPC queue     ${dpcQueues(cpu)}`);
  return lines;
}

/** A processor's DPC queue, then its threaded queue when it has one queued. */
function dpcQueues(cpu: CpuState): string {
  const normal = cpu.dpcQueue.length === 0 ? '-' : cpu.dpcQueue.join(', ');
  return cpu.threadedDpcQueue.length === 0 ? normal : `${normal}; threaded: ${cpu.threadedDpcQueue.join(', ')}`;
}

/** A context's raise frames and routine stack (innermost last). */
function contextLines(frames: CpuState['frames'], routines: CpuState['routines']): string[] {
  const f = frames.map((x) => `${x.api}${x.lock !== null ? `(${x.lock})` : ''} ${irqlName(x.savedOld)} → ${irqlName(x.raisedTo)}`);
  const r = routines.map((x) => `${x.kind} ${x.routine} (${x.driver}) #${x.activation}`);
  return [`         raise frames  ${f.length === 0 ? '-' : f.join(' | ')}`, `         routines      ${r.length === 0 ? '-' : r.join(' > ')}`];
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
