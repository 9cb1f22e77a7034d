import type { CpuId, Irql, IrpId, NtStatus, Seq, ThreadId } from '../brands.js';
import { majorName } from '../constants/irp.js';
import type { TraceEvent } from '../events/index.js';
import type { EndReason } from '../events/session.js';
import type { IrqlApi, SpinLockApi } from '../events/irql.js';
import type { IrpAllocationApi } from '../events/irp.js';
import { ChainHasher, GENESIS_HASH } from '../hash.js';
import type { Irp } from '../wdm/irp.js';
import type { Cpu } from './cpu.js';
import { RunStopped } from './errors.js';
import type { RoutineFrame } from './context.js';
import type { OutsideLocation } from './machine.js';

const NO_CPU = null;

/**
 * The only place events are built. Each method stamps the envelope (seq, time, processor, IRQL,
 * the innermost routine, thread), hashes the event onto the chain, freezes it and hands it to the
 * sink (the RxJS Subject). Methods take the kind's own columns positionally so that the hot path
 * allocates one object per event.
 */
export class Emitter {
  private nextSeq = 0;
  /** Time of the last event: emitted times never decrease. */
  lastTime = 0;
  lastHash = GENESIS_HASH;
  /** The processor whose code is running; its context stamps the events. */
  current: Cpu | null = null;
  private readonly hasher = new ChainHasher();
  /**
   * Detail texts repeat (the same stack count and flags, the same routine and flags, the same
   * object): one string per distinct detail, found by a name and a number without building a key,
   * keeps the hot path from formatting JSON and lets the hash's digest cache hit.
   */
  private readonly details = new Map<string, Map<number, string>>();

  private detailFor(name: string, n: number, build: () => string): string {
    let byNumber = this.details.get(name);
    if (byNumber === undefined) {
      if (this.details.size > 4096) this.details.clear();
      this.details.set(name, (byNumber = new Map()));
    }
    let text = byNumber.get(n);
    if (text === undefined) {
      text = build();
      if (byNumber.size > 4096) byNumber.clear();
      byNumber.set(n, text);
    }
    return text;
  }

  /** Further events are refused once the run has ended (a caught bug check must not go on). */
  closed = false;

  constructor(
    private readonly sink: (event: TraceEvent) => void,
    /** Events allowed before SessionEnded; the next one stops the run. */
    private readonly limit: number,
  ) {}

  get count(): number {
    return this.nextSeq;
  }

  private make(
    kind: TraceEvent['kind'], cpu: Cpu | null, withContext: boolean,
    device: string | null, irp: IrpId | null, master: IrpId | null, major: string | null, loc: number | null,
    status: NtStatus | null, newIrql: Irql | null, dpc: string | null, lock: string | null, vector: number | null,
    result: number | null, api: string | null, detail: string | null, frame: RoutineFrame | null = null,
    /** The `cpu` column when it is not the running processor (a DPC's target). */
    cpuColumn: Cpu | null = cpu,
    /** The `irql` column when it is not the context's current IRQL (IRQL changes: the level before). */
    irqlColumn: Irql | null = null,
  ): TraceEvent {
    if (this.closed) throw new RunStopped('limit');
    if (this.nextSeq >= this.limit && kind !== 'SessionEnded' && kind !== 'Bugcheck') throw new RunStopped('limit');
    const seq = this.nextSeq as Seq;
    let time = this.lastTime;
    if (cpu !== null && cpu.clock > time) time = cpu.clock;
    if (cpu !== null) cpu.clock = time;
    this.lastTime = time;
    const ctx = cpu?.ctx;
    const routines = withContext && ctx !== undefined ? ctx.routines : null;
    const inner = frame ?? (routines !== null && routines.length > 0 ? routines[routines.length - 1]! : null);
    const base = {
      seq,
      timeNs: time,
      cpu: cpuColumn === null ? null : (cpuColumn.id as CpuId),
      irql: irqlColumn !== null ? irqlColumn : ctx === undefined ? null : ctx.irql,
      kind,
      activation: inner === null ? null : kind === 'RoutineEntered' ? seq : inner.activation,
      routine: inner === null ? null : inner.routine,
      driver: inner === null ? null : inner.driver,
      device, irp, master, major, loc, status, newIrql, dpc, lock, vector, result, api, detail,
      thread: withContext && ctx !== undefined && ctx.thread !== null ? (ctx.thread.id as ThreadId) : null,
      hash: '',
    };
    base.hash = this.hasher.next(base);
    this.lastHash = base.hash;
    this.nextSeq++;
    const event = Object.freeze(base) as TraceEvent;
    this.sink(event);
    return event;
  }

  private ev(kind: TraceEvent['kind'], device: string | null, irp: Irp | null, loc: number | null, status: NtStatus | null, result: number | null, api: string | null, detail: string | null = null): TraceEvent {
    return this.make(kind, this.current, true, device, irp === null ? null : irp.id, null, null, loc, status, null, null, null, null, result, api, detail);
  }

  sessionStarted(detail: string): void {
    this.make('SessionStarted', NO_CPU, false, null, null, null, null, null, null, null, null, null, null, null, null, detail);
  }
  sessionEnded(reason: EndReason, detail: string | null): void {
    this.closed = false;
    this.make('SessionEnded', NO_CPU, false, null, null, null, null, null, null, null, null, null, null, null, reason, detail);
    this.closed = true;
  }
  bugcheck(name: string, code: number, detail: string): void {
    this.make('Bugcheck', this.current, true, null, null, null, null, null, code as NtStatus, null, null, null, null, null, name, detail);
  }

  requestIssued(irp: Irp, device: string, major: number): void {
    this.make('RequestIssued', this.current, true, device, irp.id, null, majorName(major), irp.currentLocation, null, null, null, null, null, null, null, null);
  }
  requestCompleted(irp: Irp, status: NtStatus, information: number): void {
    this.ev('RequestCompleted', null, irp, null, status, information, null);
  }

  /** Hardware side: `cpu` is the processor the interrupt is routed to, `irql` that processor's level. */
  interruptRequested(target: Cpu | null, device: string, vector: number): void {
    this.make('InterruptRequested', target, false, device, null, null, null, null, null, null, null, null, vector, null, null, null);
  }
  registerWritten(device: string, register: string, value: number): void {
    this.ev('RegisterWritten', device, null, null, null, value, 'WRITE_REGISTER_ULONG', this.detailFor(register, 0, () => `{"register":"${register}"}`));
  }
  registerRead(device: string, register: string, value: number): void {
    this.ev('RegisterRead', device, null, null, null, value, 'READ_REGISTER_ULONG', this.detailFor(register, 0, () => `{"register":"${register}"}`));
  }

  /** Emitted after the change: `from` is the level before it (the `irql` column), `to` the level after. */
  irqlRaised(from: Irql, to: Irql, api: IrqlApi, lock: string | null): void {
    this.make('IrqlRaised', this.current, true, null, null, null, null, null, null, to, null, lock, null, null, api, null, null, this.current, from);
  }
  irqlLowered(from: Irql, to: Irql, api: IrqlApi, lock: string | null): void {
    this.make('IrqlLowered', this.current, true, null, null, null, null, null, null, to, null, lock, null, null, api, null, null, this.current, from);
  }
  spinLockAcquired(lock: string, api: SpinLockApi): void {
    this.make('SpinLockAcquired', this.current, true, null, null, null, null, null, null, null, null, lock, null, null, api, null);
  }
  spinLockReleased(lock: string, api: SpinLockApi): void {
    this.make('SpinLockReleased', this.current, true, null, null, null, null, null, null, null, null, lock, null, null, api, null);
  }

  dpcQueued(target: Cpu, callerIrql: Irql, dpc: string, device: string | null, irp: Irp | null, inserted: boolean, api: 'IoRequestDpc' | 'KeInsertQueueDpc', importance: string, threaded: boolean): void {
    // `cpu` is the target processor (trace-schema.md); `irql` and the routine are the caller's,
    // detail.from names the inserting processor, and detail.threaded (only when true) says the DPC
    // went to the threaded queue.
    const from = this.current;
    const at = from === null ? -1 : from.id;
    this.make('DpcQueued', from, true, device, irp === null ? null : irp.id, null, null, null, null, null, dpc, null, null, inserted ? 1 : 0, api,
      this.detailFor(importance, threaded ? 4096 + at : at, () => `{"importance":"${importance}","from":${from === null ? null : from.id}${threaded ? ',"threaded":true' : ''}}`), null, target, callerIrql);
  }
  dpcDequeued(dpc: string, removed: boolean): void {
    this.make('DpcDequeued', this.current, true, null, null, null, null, null, null, null, dpc, null, null, removed ? 1 : 0, 'KeRemoveQueueDpc', null);
  }

  routineEntered(frame: RoutineFrame, device: string | null, irp: Irp | null, dpc: string | null): void {
    this.make('RoutineEntered', this.current, true, device, irp === null ? null : irp.id, null, null, irp === null ? null : irp.currentLocation, null, null, dpc, null, null, null, frame.kind, null, frame);
  }
  routineReturned(frame: RoutineFrame, device: string | null, irp: Irp | null, status: NtStatus | null): void {
    this.make('RoutineReturned', this.current, true, device, irp === null ? null : irp.id, null, null, irp === null ? null : irp.currentLocation, status, null, null, null, null, null, frame.kind, null, frame);
  }

  irpAllocated(irp: Irp, api: IrpAllocationApi, major: number | null, master: Irp | null): void {
    this.make('IrpAllocated', this.current, true, null, irp.id, master === null ? null : master.id, major === null ? null : majorName(major), irp.currentLocation, null, null, null, null, null, null, api,
      this.detailFor('IrpAllocated', irp.StackCount * 1048576 + irp.flags, () => `{"stackCount":${irp.StackCount},"flags":${irp.flags}}`));
  }
  irpStackLocationChanged(irp: Irp, api: 'IoSkipCurrentIrpStackLocation' | 'IoCopyCurrentIrpStackLocationToNext' | 'IoSetNextIrpStackLocation'): void {
    this.ev('IrpStackLocationChanged', null, irp, irp.currentLocation, null, null, api);
  }
  completionRoutineSet(irp: Irp, at: number, routine: string, onSuccess: boolean, onError: boolean, onCancel: boolean): void {
    const flags = (onSuccess ? 1 : 0) | (onError ? 2 : 0) | (onCancel ? 4 : 0);
    this.ev('CompletionRoutineSet', null, irp, irp.currentLocation, null, null, null,
      this.detailFor(routine, flags * 65536 + at, () => `{"routine":${JSON.stringify(routine)},"onSuccess":${onSuccess},"onError":${onError},"onCancel":${onCancel},"at":${at}}`));
  }
  irpCalled(irp: Irp, device: string, major: number): void {
    this.make('IrpCalled', this.current, true, device, irp.id, null, majorName(major), irp.currentLocation, null, null, null, null, null, null, null, null);
  }
  irpCallReturned(irp: Irp, status: NtStatus): void {
    this.ev('IrpCallReturned', null, irp, irp.currentLocation, status, null, null);
  }
  irpMarkedPending(irp: Irp, api: 'IoMarkIrpPending' | 'IoCompleteRequest'): void {
    this.ev('IrpMarkedPending', null, irp, irp.currentLocation, null, null, api);
  }
  irpCompletionRequested(irp: Irp, status: NtStatus, boost: number): void {
    this.ev('IrpCompletionRequested', null, irp, irp.currentLocation, status, null, null, this.detailFor('IrpCompletionRequested', boost, () => `{"priorityBoost":${boost}}`));
  }
  irpCompleted(irp: Irp, status: NtStatus): void {
    this.ev('IrpCompleted', null, irp, irp.currentLocation, status, null, null);
  }
  masterIrpCountChanged(master: Irp, count: number, api: 'Set' | 'IoCompleteRequest'): void {
    this.make('MasterIrpCountChanged', this.current, true, null, master.id, master.id, null, null, null, null, null, null, null, count, api, null);
  }
  irpFreed(irp: Irp, api: 'IoFreeIrp' | 'IoManager'): void {
    this.ev('IrpFreed', null, irp, irp.currentLocation, null, null, api);
  }
  irpReused(irp: Irp, status: NtStatus): void {
    this.ev('IrpReused', null, irp, irp.currentLocation, status, null, 'IoReuseIrp');
  }
  cancelRoutineSet(irp: Irp, routine: string | null, previous: string | null): void {
    this.ev('CancelRoutineSet', null, irp, null, null, null, null, `{"routine":${JSON.stringify(routine)},"previous":${JSON.stringify(previous)}}`);
  }
  irpCancelled(irp: Irp, called: boolean): void {
    this.ev('IrpCancelled', null, irp, null, null, called ? 1 : 0, 'IoCancelIrp');
  }
  /** `outside`: the access went through a stack location the IRP does not have (then `loc` is the current location). */
  irpAccessed(irp: Irp, field: string, outside: OutsideLocation | null): void {
    if (outside === null) this.ev('IrpAccessed', null, irp, null, null, null, field);
    else this.ev('IrpAccessed', null, irp, irp.currentLocation, null, null, field, this.detailFor(outside, -3, () => `{"location":"${outside}"}`));
  }
  irpQueued(irp: Irp, device: string, started: boolean): void {
    this.ev('IrpQueued', device, irp, irp.currentLocation, null, started ? 1 : 0, 'IoStartPacket');
  }
  irpDequeued(irp: Irp, device: string): void {
    this.ev('IrpDequeued', device, irp, irp.currentLocation, null, null, 'IoStartNextPacket');
  }

  waitStarted(object: string): void {
    this.ev('WaitStarted', null, null, null, null, null, 'KeWaitForSingleObject', this.objectDetail(object));
  }
  waitEnded(object: string, status: NtStatus): void {
    this.ev('WaitEnded', null, null, null, null, status, 'KeWaitForSingleObject', this.objectDetail(object));
  }
  private objectDetail(object: string): string {
    return this.detailFor(object, -2, () => `{"object":${JSON.stringify(object)}}`);
  }

  /** The processor now runs `cpu.ctx` (already switched); `previous` is the thread it ran before. */
  contextSwitched(cpu: Cpu, previous: ThreadId | null): void {
    this.make('ContextSwitched', cpu, true, null, null, null, null, null, null, null, null, null, null, previous, 'KiSwapContext', null);
  }
  eventSignaled(object: string, previous: number): void {
    this.ev('EventSignaled', null, null, null, null, previous, 'KeSetEvent', this.objectDetail(object));
  }
}
