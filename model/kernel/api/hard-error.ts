import { DISPATCH_LEVEL } from '../../constants/irql.js';
import type { DeviceObject } from '../../wdm/device.js';
import type { Irp } from '../../wdm/irp.js';
import type { Machine } from '../machine.js';

/**
 * IoSetHardErrorOrVerifyDevice(Irp, DeviceObject): a removable-media driver names the device whose
 * medium must be verified, in the thread that issued the request, so that a file system can ask
 * the user (ddi:nf-ntddk-iosetharderrororverifydevice). It writes through Irp->Tail.Overlay.Thread
 * (ROS:util.c#IoSetHardErrorOrVerifyDevice): "The IRP ... must be associated with a
 * thread", and a driver that allocates IRPs for a removable-media device below it "must set up the
 * thread context in its newly allocated IRPs from the value at Tail.Overlay.Thread in the original
 * IRP" (k:creating-irps-for-lower-level-drivers). With no thread, the write goes through a NULL
 * pointer: at DISPATCH_LEVEL or above, bug check IRQL_NOT_LESS_OR_EQUAL; below, an access violation
 * nothing handles, KMODE_EXCEPTION_NOT_HANDLED. Records no event of its own (the model has no file
 * system to prompt the user); the thread keeps the device name.
 */
export function IoSetHardErrorOrVerifyDevice(m: Machine, Irp: Irp, DeviceObject: DeviceObject): void {
  const cpu = m.enter('IoSetHardErrorOrVerifyDevice');
  const thread = Irp.Tail.Overlay.Thread;
  if (thread === null) {
    const irql = cpu.ctx.irql;
    const parameters = { api: 'IoSetHardErrorOrVerifyDevice', irp: Irp.id, field: 'Irp->Tail.Overlay.Thread', address: 0, irql };
    m.bugcheck(irql >= DISPATCH_LEVEL ? 'IRQL_NOT_LESS_OR_EQUAL' : 'KMODE_EXCEPTION_NOT_HANDLED', parameters);
  }
  thread.deviceToVerify = DeviceObject.Name;
}
