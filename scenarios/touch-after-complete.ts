import { defineScenario, IO_NO_INCREMENT, STATUS_SUCCESS, type DeviceObject, type Irp, type Kernel, type NtStatus } from '../model/index.js';
import { diskDriver, type DiskExtension } from './lib/disk-driver.js';
import { filterDriver } from './lib/filter-driver.js';
import { deviceControlWorkload } from './lib/workload.js';

/**
 * The disk completes device controls in its dispatch routine, and then returns the status it reads
 * back from the IRP it has just completed.
 *
 * "Note that a call to IoCompleteRequest makes the given IRP inaccessible by the caller, so the
 * return value from a dispatch routine cannot be set from the I/O status block of an already
 * completed IRP" (k:how-to-complete-an-irp-in-a-dispatch-routine). By the time IoCompleteRequest
 * returns, the completion walk has reached the top and the I/O manager's completion APC is on its
 * way (or has run, and freed the IRP): the read is of memory the driver no longer owns.
 */
async function DiskDispatchDeviceControl(k: Kernel, _DeviceObject: DeviceObject<DiskExtension>, Irp: Irp): Promise<NtStatus> {
  Irp.IoStatus.Status = STATUS_SUCCESS;
  Irp.IoStatus.Information = 0;
  await k.IoCompleteRequest(Irp, IO_NO_INCREMENT);
  // BUG: the IRP is gone; return the status from a local variable set before completing it.
  return Irp.IoStatus.Status;
}

export default defineScenario({
  name: 'touch-after-complete',
  description: 'The disk\'s device-control dispatch completes the IRP, then reads Irp->IoStatus.Status to return it',
  plants: ['UseAfterRelease'],
  devices: [{ name: 'disk0', vector: 0x51, irql: 5, stack: ['disk', 'filter'] }],
  requesters: 2,
  requests: 20,
  workload: deviceControlWorkload,
  drivers: (k) => [diskDriver(k, { DiskDispatchDeviceControl }), filterDriver(k)],
});
