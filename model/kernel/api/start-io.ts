import { DISPATCH_LEVEL } from '../../constants/irql.js';
import type { DeviceObject } from '../../wdm/device.js';
import type { Irp, PDRIVER_CANCEL } from '../../wdm/irp.js';
import { ScenarioError } from '../errors.js';
import { lowerIrql, raiseIrql } from '../irql-frames.js';
import type { Machine } from '../machine.js';
import { callRoutine, routineName } from '../routine-call.js';
import { IoSetCancelRoutine } from './cancel.js';

async function startIo(m: Machine, DeviceObject: DeviceObject, Irp: Irp): Promise<void> {
  const startIo = DeviceObject.DriverObject.DriverStartIo;
  if (startIo === null) throw new ScenarioError(`${DeviceObject.DriverObject.DriverName} uses IoStartPacket but set no DriverStartIo`);
  await callRoutine(m, 'StartIo', routineName(startIo), DeviceObject.DriverObject.DriverName, DeviceObject, Irp, null,
    () => startIo(DeviceObject, Irp));
}

/**
 * IoStartPacket(DeviceObject, Irp, Key, CancelFunction), as ReactOS: raise to DISPATCH_LEVEL,
 * set the cancel routine, and queue the IRP if the device is busy; otherwise make it CurrentIrp and
 * call StartIo at DISPATCH_LEVEL. Then restore the IRQL.
 */
export async function IoStartPacket(m: Machine, DeviceObject: DeviceObject, Irp: Irp, _Key: number | null = null, CancelFunction: PDRIVER_CANCEL | null = null): Promise<void> {
  const cpu = m.enter('IoStartPacket');
  const old = raiseIrql(m.em, cpu, DISPATCH_LEVEL, 'IoStartPacket');
  if (CancelFunction !== null) IoSetCancelRoutine(m, Irp, CancelFunction);
  const queue = DeviceObject.DeviceQueue;
  if (queue.Busy) {
    queue.entries.push(Irp);
    m.em.irpQueued(Irp, DeviceObject.Name, false);
  } else {
    queue.Busy = true;
    DeviceObject.CurrentIrp = Irp;
    m.em.irpQueued(Irp, DeviceObject.Name, true);
    await startIo(m, DeviceObject, Irp);
  }
  lowerIrql(m.em, m.cpu(), old, 'IoStartPacket');
  const preempted = m.point(m.cost('startPacket'));
  if (preempted !== undefined) await preempted;
}

/** IoStartNextPacket(DeviceObject, Cancelable): start the next queued IRP, or mark the device idle. Call at DISPATCH_LEVEL. */
export async function IoStartNextPacket(m: Machine, DeviceObject: DeviceObject, _Cancelable = false): Promise<void> {
  m.enter('IoStartNextPacket');
  DeviceObject.CurrentIrp = null;
  const next = DeviceObject.DeviceQueue.entries.shift();
  if (next === undefined) {
    DeviceObject.DeviceQueue.Busy = false;
  } else {
    DeviceObject.CurrentIrp = next;
    m.em.irpDequeued(next, DeviceObject.Name);
    await startIo(m, DeviceObject, next);
  }
  const preempted = m.point(m.cost('startPacket'));
  if (preempted !== undefined) await preempted;
}

export { DISPATCH_LEVEL };
