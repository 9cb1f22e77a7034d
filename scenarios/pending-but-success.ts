import { defineScenario, STATUS_SUCCESS, type DeviceObject, type Irp, type Kernel, type NtStatus } from '../model/index.js';
import { diskDriver, type DiskExtension } from './lib/disk-driver.js';
import { filterDriver } from './lib/filter-driver.js';
import { mixedWorkload } from './lib/workload.js';

/**
 * The disk's read/write dispatch marks the IRP pending and queues it with IoStartPacket, as it
 * should, but then reports STATUS_SUCCESS: "the request is under way, so all is well".
 *
 * "After calling IoMarkIrpPending, the dispatch routine must return STATUS_PENDING, even if some
 * routine completes the IRP (by calling IoCompleteRequest) before the dispatch routine that called
 * IoMarkIrpPending returns" (ddi:nf-wdm-iomarkirppending; SDV MarkIrpPending). Writes pass through
 * the filter unchanged, so the I/O manager gets STATUS_SUCCESS for a request that has not happened
 * yet and the requester goes on without waiting: it reads its I/O status block, and may reuse its
 * buffer, while the device is still transferring.
 */
async function DiskDispatchReadWrite(k: Kernel, DeviceObject: DeviceObject<DiskExtension>, Irp: Irp): Promise<NtStatus> {
  k.IoMarkIrpPending(Irp);
  await k.IoStartPacket(DeviceObject, Irp, null, null);
  // BUG: the IRP is marked pending and may not even have started; this must be STATUS_PENDING.
  return STATUS_SUCCESS;
}

export default defineScenario({
  name: 'pending-but-success',
  description: 'The disk dispatch marks the IRP pending and starts the packet, but returns STATUS_SUCCESS',
  plants: ['MarkPendingWithoutStatusPending'],
  devices: [{ name: 'disk0', vector: 0x51, irql: 5, stack: ['disk', 'filter'] }],
  requesters: 2,
  requests: 20,
  workload: mixedWorkload,
  drivers: (k) => [diskDriver(k, { DiskDispatchReadWrite }), filterDriver(k)],
});
