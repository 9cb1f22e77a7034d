import { defineScenario, IO_DISK_INCREMENT, STATUS_SUCCESS, type DeviceObject, type Irp, type KDPC, type Kernel } from '../model/index.js';
import { diskDriver, type DiskExtension } from './lib/disk-driver.js';
import { filterDriver } from './lib/filter-driver.js';
import { mixedWorkload } from './lib/workload.js';

/**
 * The disk's DpcForIsr completes the IRP, then, on its way out (a merge left an older completion
 * path in place), completes it again.
 *
 * An IRP is completed once: after IoCompleteRequest the driver no longer owns it
 * (k:how-to-complete-an-irp-in-a-dispatch-routine; SDV DoubleCompletion). IofCompleteRequest
 * bug-checks MULTIPLE_IRP_COMPLETE_REQUESTS (0x44) when the IRP's completion walk has already
 * finished (CurrentLocation > StackCount + 1). When a completion routine reclaimed the IRP instead
 * (the filter's own IRPs for short reads), the second call goes to an IRP that is already freed.
 */
async function DiskDpcForIsr(k: Kernel, _Dpc: KDPC, DeviceObject: DeviceObject<DiskExtension>, Irp: Irp): Promise<void> {
  const stack = k.IoGetCurrentIrpStackLocation(Irp);
  Irp.IoStatus.Status = STATUS_SUCCESS;
  Irp.IoStatus.Information = stack.Parameters.Read.Length;
  await k.IoStartNextPacket(DeviceObject, false);
  await k.IoCompleteRequest(Irp, IO_DISK_INCREMENT);
  // BUG: the IRP was completed just above; this completes it a second time.
  await k.IoCompleteRequest(Irp, IO_DISK_INCREMENT);
}

export default defineScenario({
  name: 'double-completion',
  description: 'The disk\'s DpcForIsr calls IoCompleteRequest twice on the same IRP',
  plants: ['DoubleCompletion'],
  devices: [{ name: 'disk0', vector: 0x51, irql: 5, stack: ['disk', 'filter'] }],
  requesters: 2,
  requests: 20,
  workload: mixedWorkload,
  drivers: (k) => [diskDriver(k, { DiskDpcForIsr }), filterDriver(k)],
});
