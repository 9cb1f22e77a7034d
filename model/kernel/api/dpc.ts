import { HIGH_LEVEL } from '../../constants/irql.js';
import type { DeviceObject } from '../../wdm/device.js';
import type { KDPC, KDPC_IMPORTANCE, PIO_DPC_ROUTINE, PKDEFERRED_ROUTINE } from '../../wdm/dpc.js';
import { Irp } from '../../wdm/irp.js';
import { ScenarioError } from '../errors.js';
import { lowerIrql, raiseIrql } from '../irql-frames.js';
import type { Machine } from '../machine.js';
import { routineName } from '../routine-call.js';
import { afterPoint } from './after-point.js';

/** MaximumDpcQueueDepth: a queue this deep requests its drain whatever the importance. */
const MAXIMUM_DPC_QUEUE_DEPTH = 4;

/** KeInitializeDpc(Dpc, DeferredRoutine, DeferredContext): medium importance, the inserting processor's queue. */
export function KeInitializeDpc(m: Machine, Dpc: KDPC, DeferredRoutine: PKDEFERRED_ROUTINE, DeferredContext: unknown): void {
  Dpc.DeferredRoutine = DeferredRoutine;
  Dpc.DeferredContext = DeferredContext;
  Dpc.routineName = routineName(DeferredRoutine);
  Dpc.driverName = m.em.current?.ctx.innermost?.driver ?? Dpc.driverName;
  Dpc.Importance = 'MediumImportance';
  Dpc.Number = null;
}

/**
 * KeInitializeThreadedDpc(Dpc, DeferredRoutine, DeferredContext): as KeInitializeDpc, for a
 * CustomThreadedDpc. Inserted with the same KeInsertQueueDpc, it goes to the processor's threaded
 * queue and runs at PASSIVE_LEVEL in that processor's DPC thread — or, with threaded DPCs disabled
 * (ThreadDpcEnable = 0), as an ordinary DPC (k:introduction-to-threaded-dpcs; ddi:nf-wdm-keinitializethreadeddpc).
 */
export function KeInitializeThreadedDpc(m: Machine, Dpc: KDPC, DeferredRoutine: PKDEFERRED_ROUTINE, DeferredContext: unknown): void {
  KeInitializeDpc(m, Dpc, DeferredRoutine, DeferredContext);
  Dpc.threaded = true;
}

/** IoInitializeDpcRequest(DeviceObject, DpcRoutine) = KeInitializeDpc(&DeviceObject->Dpc, DpcRoutine, DeviceObject). */
export function IoInitializeDpcRequest(m: Machine, DeviceObject: DeviceObject, DpcRoutine: PIO_DPC_ROUTINE): void {
  KeInitializeDpc(m, DeviceObject.Dpc, DpcRoutine as PKDEFERRED_ROUTINE, DeviceObject);
  DeviceObject.Dpc.threaded = false;
  DeviceObject.Dpc.device = DeviceObject;
  DeviceObject.Dpc.driverName = DeviceObject.DriverObject.DriverName;
}

export function KeSetImportanceDpc(Dpc: KDPC, Importance: KDPC_IMPORTANCE): void {
  Dpc.Importance = Importance;
}

export function KeSetTargetProcessorDpc(m: Machine, Dpc: KDPC, Number: number): void {
  if (!globalThis.Number.isInteger(Number) || Number < 0 || Number >= m.cpus.length) {
    throw new ScenarioError(`KeSetTargetProcessorDpc: processor ${Number} does not exist (the machine has ${m.cpus.length})`);
  }
  Dpc.Number = Number;
}

/**
 * KeInsertQueueDpc(Dpc, SystemArgument1, SystemArgument2), in ReactOS's order: raise to HIGH_LEVEL,
 * pick the target queue, and if the DPC is not already queued store the arguments and insert it
 * (HighImportance at the head); otherwise return FALSE and drop the arguments. Then lower.
 *
 * A threaded DPC goes to the threaded queue when threaded DPCs are enabled (windows-semantics.md §2
 * step 3); importance then only picks head or tail (ddi:nf-wdm-kesetimportancedpc), and the insert
 * readies the target's DPC thread.
 */
export function KeInsertQueueDpc(m: Machine, Dpc: KDPC, SystemArgument1: unknown, SystemArgument2: unknown, api: 'IoRequestDpc' | 'KeInsertQueueDpc' = 'KeInsertQueueDpc'): boolean | Promise<boolean> {
  const cpu = m.enter(api);
  const old = raiseIrql(m.em, cpu, HIGH_LEVEL, 'KeInsertQueueDpc');
  const target = Dpc.Number === null ? cpu : m.cpus[Dpc.Number]!;
  const inserted = Dpc.queuedOn === null;
  const threaded = Dpc.threaded && m.threadDpcEnable;
  if (inserted) {
    Dpc.SystemArgument1 = SystemArgument1;
    Dpc.SystemArgument2 = SystemArgument2;
    Dpc.queuedOn = target;
    const queue = threaded ? target.threadedDpcQueue : target.dpcQueue;
    if (Dpc.Importance === 'HighImportance') queue.unshift(Dpc);
    else queue.push(Dpc);
    if (threaded) {
      m.readyDpcThread(target);
    } else {
      const depth = queue.length;
      const request = target === cpu
        ? Dpc.Importance !== 'LowImportance' || depth >= MAXIMUM_DPC_QUEUE_DEPTH
        : Dpc.Importance === 'HighImportance' || Dpc.Importance === 'MediumHighImportance' || depth >= MAXIMUM_DPC_QUEUE_DEPTH;
      if (request) target.dpcRequested = true;
      if (target !== cpu) m.workArrived();
    }
  }
  const irp = SystemArgument1 instanceof Irp ? SystemArgument1 : null;
  // Refused: the row names the processor whose queue holds the DPC, where it will run.
  m.em.dpcQueued(inserted ? target : Dpc.queuedOn!, old, Dpc.Name, Dpc.device === null ? null : Dpc.device.Name, irp, inserted, api, Dpc.Importance, threaded);
  lowerIrql(m.em, cpu, old, 'KeInsertQueueDpc');
  return afterPoint(m.point(m.cost('dpcInsert')), inserted);
}

/**
 * IoRequestDpc(DeviceObject, Irp, Context) = KeInsertQueueDpc(&DeviceObject->Dpc, Irp, Context).
 * Its callers must run at DIRQL (from the ISR); the model queues it from anywhere, as Windows does,
 * and the trace keeps the caller's IRQL.
 */
export function IoRequestDpc(m: Machine, DeviceObject: DeviceObject, Irp: unknown, Context: unknown): void | Promise<void> {
  const r = KeInsertQueueDpc(m, DeviceObject.Dpc, Irp, Context, 'IoRequestDpc');
  return r instanceof Promise ? r.then(() => undefined) : undefined;
}

/** KeRemoveQueueDpc(Dpc): TRUE if it was queued and is now removed. */
export function KeRemoveQueueDpc(m: Machine, Dpc: KDPC): boolean | Promise<boolean> {
  m.enter('KeRemoveQueueDpc');
  const on = Dpc.queuedOn;
  const removed = on !== null;
  if (on !== null) {
    // Found where it is, not from Dpc.threaded: a driver may re-initialise a queued DPC (a bug, but
    // the queue it was inserted in must still lose it, not some other entry).
    const queue = on.threadedDpcQueue.includes(Dpc) ? on.threadedDpcQueue : on.dpcQueue;
    queue.splice(queue.indexOf(Dpc), 1);
    Dpc.queuedOn = null;
  }
  m.em.dpcDequeued(Dpc.Name, removed);
  return afterPoint(m.point(m.cost('dpcInsert')), removed);
}
