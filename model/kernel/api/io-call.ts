import type { NtStatus } from '../../brands.js';
import type { DeviceObject } from '../../wdm/device.js';
import type { Irp } from '../../wdm/irp.js';
import type { Machine } from '../machine.js';
import { callRoutine, routineName } from '../routine-call.js';

/**
 * IoCallDriver(DeviceObject, Irp), as IofCallDriver: CurrentLocation--, and if no location is left,
 * bug check NO_MORE_IRP_STACK_LOCATIONS; else the new current location gets DeviceObject and the
 * target driver's dispatch routine for its MajorFunction runs, synchronously, at the caller's IRQL
 * and in the caller's thread. Returns what that routine returns.
 */
export async function IoCallDriver(m: Machine, DeviceObject: DeviceObject, Irp: Irp): Promise<NtStatus> {
  m.enter('IoCallDriver');
  if (Irp.released) m.irpAccessed(Irp, 'IoCallDriver');
  Irp.currentLocation--;
  if (Irp.currentLocation <= 0) {
    m.bugcheck('NO_MORE_IRP_STACK_LOCATIONS', { irp: Irp.id, stackCount: Irp.StackCount, device: DeviceObject.Name });
  }
  const location = Irp.location(Irp.currentLocation)!;
  location.DeviceObject = DeviceObject;
  Irp.phase = 'dispatched';
  Irp.lastDevice = DeviceObject;
  const major = location.MajorFunction;
  m.em.irpCalled(Irp, DeviceObject.Name, major);
  const preempted = m.point(m.cost('callDriver'));
  if (preempted !== undefined) await preempted;
  const dispatch = DeviceObject.DriverObject.MajorFunction[major]!;
  const status = await callRoutine(m, 'Dispatch', routineName(dispatch), DeviceObject.DriverObject.DriverName, DeviceObject, Irp, null,
    () => dispatch(DeviceObject, Irp));
  m.em.irpCallReturned(Irp, status);
  return status;
}
