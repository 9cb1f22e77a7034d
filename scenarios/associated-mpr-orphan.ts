import {
  defineScenario, NT_SUCCESS, STATUS_MORE_PROCESSING_REQUIRED, type DeviceObject, type Irp, type Kernel, type NtStatus,
} from '../model/index.js';
import { diskDriver } from './lib/disk-driver.js';
import { filterDriver, splitRead, type FilterExtension } from './lib/filter-driver.js';
import { readWorkload } from './lib/workload.js';

/**
 * The filter splits large reads into associated IRPs and, to record each part's status in the
 * master, sets a completion routine on every associated IRP. That routine returns
 * STATUS_MORE_PROCESSING_REQUIRED (copied from the allocated-IRP path, where it is right), but then
 * neither frees the associated IRP nor completes the master.
 *
 * The I/O manager completes the master automatically "as long as the caller has not set its
 * IoCompletion routine in an associated IRP and returned STATUS_MORE_PROCESSING_REQUIRED from its
 * IoCompletion routine. In these circumstances, the caller must explicitly complete the master IRP"
 * (ddi:nf-ntddk-iomakeassociatedirp), and must IoFreeIrp that associated IRP (ddi:nf-wdm-iofreeirp).
 * The I/O manager's walk stops at the MPR, so it never decrements the master's IrpCount: the master
 * is never completed, and its requester waits forever.
 *
 * This is the associated IRP's completion routine; Context is the master.
 */
async function FilterAssociatedIrpComplete(_DeviceObject: DeviceObject | null, Irp: Irp, Master: Irp): Promise<NtStatus> {
  // Keep the first failure of any part as the status of the whole read.
  if (!NT_SUCCESS(Irp.IoStatus.Status)) Master.IoStatus.Status = Irp.IoStatus.Status;
  // BUG: stopping the walk takes the associated IRP back from the I/O manager, which now neither
  // decrements Master->AssociatedIrp.IrpCount nor frees this IRP. Nothing below does either:
  // there is no IoFreeIrp(Irp), and no IoCompleteRequest(Master) after the last part.
  return STATUS_MORE_PROCESSING_REQUIRED;
}

async function FilterSplitRead(k: Kernel, DeviceObject: DeviceObject<FilterExtension>, Irp: Irp): Promise<NtStatus> {
  return splitRead(k, DeviceObject, Irp, {
    prepare: (part, master) => k.IoSetCompletionRoutine(part, FilterAssociatedIrpComplete, master, true, true, true),
  });
}

export default defineScenario({
  name: 'associated-mpr-orphan',
  description: 'Completion routines on associated IRPs return STATUS_MORE_PROCESSING_REQUIRED and never complete the master: split reads hang',
  plants: ['AssociatedMprMasterOrphaned'],
  devices: [{ name: 'disk0', vector: 0x51, irql: 5, stack: ['disk', 'filter'] }],
  requesters: 2,
  requests: 20,
  workload: readWorkload,
  drivers: (k) => [diskDriver(k), filterDriver(k, { FilterSplitRead })],
});
