import { defineScenario, STATUS_PENDING, type DeviceObject, type Irp, type Kernel, type NtStatus } from '../model/index.js';
import { diskDriver, type DiskExtension } from './lib/disk-driver.js';
import { filterDriver } from './lib/filter-driver.js';
import { mixedWorkload } from './lib/workload.js';

/**
 * The disk's read/write dispatch queues the IRP with IoStartPacket and returns STATUS_PENDING, but
 * never calls IoMarkIrpPending.
 *
 * "Unless the driver's dispatch routine completes the IRP (by calling IoCompleteRequest) or passes
 * the IRP on to lower drivers, it must call IoMarkIrpPending with the IRP", and "if a driver queues
 * incoming IRPs, it should call IoMarkIrpPending before it queues each IRP"
 * (ddi:nf-wdm-iomarkirppending; SDV MarkIrpPending2). Without SL_PENDING_RETURNED in its location,
 * PendingReturned stays FALSE all the way up the completion walk, so every driver above, and the
 * I/O manager, believes the request completed synchronously, while its dispatch said STATUS_PENDING.
 */
async function DiskDispatchReadWrite(k: Kernel, DeviceObject: DeviceObject<DiskExtension>, Irp: Irp): Promise<NtStatus> {
  // BUG: no IoMarkIrpPending(Irp) before the IRP is queued (or at all), yet the return says pending.
  await k.IoStartPacket(DeviceObject, Irp, null, null);
  return STATUS_PENDING;
}

export default defineScenario({
  name: 'success-without-mark',
  description: 'The disk dispatch queues the IRP with IoStartPacket and returns STATUS_PENDING without IoMarkIrpPending',
  plants: ['StatusPendingWithoutMark'],
  devices: [{ name: 'disk0', vector: 0x51, irql: 5, stack: ['disk', 'filter'] }],
  requesters: 2,
  requests: 20,
  workload: mixedWorkload,
  drivers: (k) => [diskDriver(k, { DiskDispatchReadWrite }), filterDriver(k)],
});
