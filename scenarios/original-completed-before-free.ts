import { defineScenario, IO_NO_INCREMENT, STATUS_MORE_PROCESSING_REQUIRED, type DeviceObject, type Irp, type Kernel, type NtStatus } from '../model/index.js';
import { diskDriver } from './lib/disk-driver.js';
import { filterDriver } from './lib/filter-driver.js';
import { readWorkload } from './lib/workload.js';

/**
 * The filter's completion routine for the IRP it allocated (IoAllocateIrp) completes the original
 * request first and frees its own IRP afterwards.
 *
 * "A driver's IoCompletion routine should free all driver-allocated IRPs with IoFreeIrp before it
 * calls IoCompleteRequest for the original IRP" (k:creating-irps-for-lower-level-drivers). The
 * routine still frees it before returning, so this is the documented "should" (no leak), but once
 * IoCompleteRequest(Original) has run, the requester may already have its data and go on while this
 * driver still holds an IRP for a request that no longer exists.
 */
async function FilterAllocatedIrpComplete(k: Kernel, _DeviceObject: DeviceObject | null, Irp: Irp, Original: Irp): Promise<NtStatus> {
  Original.IoStatus.Status = Irp.IoStatus.Status;
  Original.IoStatus.Information = Irp.IoStatus.Information;
  // BUG: the original is completed while our own IRP is still allocated; the two calls are in the wrong order.
  await k.IoCompleteRequest(Original, IO_NO_INCREMENT);
  await k.IoFreeIrp(Irp);
  return STATUS_MORE_PROCESSING_REQUIRED;
}

export default defineScenario({
  name: 'original-completed-before-free',
  description: 'The filter completes the original IRP before IoFreeIrp of the IRP it allocated for it (still freed before returning)',
  plants: ['OriginalCompletedBeforeChildFreed'],
  devices: [{ name: 'disk0', vector: 0x51, irql: 5, stack: ['disk', 'filter'] }],
  requesters: 2,
  requests: 20,
  workload: readWorkload,
  drivers: (k) => [diskDriver(k), filterDriver(k, { FilterAllocatedIrpComplete })],
});
