import { defineScenario, IO_NO_INCREMENT, type DeviceObject, type Irp, type Kernel, type NtStatus } from '../model/index.js';
import { diskDriver } from './lib/disk-driver.js';
import { filterDriver, splitRead, type FilterExtension } from './lib/filter-driver.js';
import { readWorkload } from './lib/workload.js';

/**
 * The filter splits large reads into associated IRPs, and then, to let the application go on as soon
 * as the device has accepted the first part, completes the master itself.
 *
 * The master belongs to the I/O manager once it has associated IRPs: "The I/O manager completes the
 * master IRP automatically when lower drivers have completed all associated IRPs"
 * (ddi:nf-ntddk-iomakeassociatedirp), and IofCompleteRequest frees the last associated IRP before
 * it completes the master (ROS:irp.c#IofCompleteRequest). Completing it by hand while parts are
 * still outstanding hands the requester a buffer the device is still filling, lets the I/O manager
 * free the master under its associated IRPs, and turns the automatic completion that follows the
 * last part into a second completion: bug check MULTIPLE_IRP_COMPLETE_REQUESTS (0x44).
 */
async function FilterSplitRead(k: Kernel, DeviceObject: DeviceObject<FilterExtension>, Irp: Irp): Promise<NtStatus> {
  return splitRead(k, DeviceObject, Irp, {
    async afterSend(index, master) {
      // BUG: the master still has associated IRPs outstanding (IrpCount is the number of parts,
      // and only one has even been sent); only the I/O manager may complete it, after freeing the
      // last of them. This completes it now, and the I/O manager completes it again when the last
      // part finishes.
      if (index === 0) await k.IoCompleteRequest(master, IO_NO_INCREMENT);
    },
  });
}

export default defineScenario({
  name: 'master-completed-early',
  description: 'The filter completes a split read\'s master IRP by hand right after sending the first associated IRP',
  plants: ['MasterCompletedWithAssociatedOutstanding'],
  devices: [{ name: 'disk0', vector: 0x51, irql: 5, stack: ['disk', 'filter'] }],
  requesters: 2,
  requests: 20,
  workload: readWorkload,
  drivers: (k) => [diskDriver(k), filterDriver(k, { FilterSplitRead })],
});
