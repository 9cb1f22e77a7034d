import { defineScenario, type DeviceObject, type DriverDefinition, type Irp, type Kernel, type NtStatus } from '../model/index.js';
import { diskDriver } from './lib/disk-driver.js';
import { filterDriver, type FilterExtension } from './lib/filter-driver.js';
import { mixedWorkload } from './lib/workload.js';

/**
 * The filter serializes writes with a spin lock of its own, and holds it across IoCallDriver, so
 * the disk's dispatch routine runs at DISPATCH_LEVEL with the filter's lock held.
 *
 * "If a dispatch routine raises IRQL, it must lower it before calling IoCallDriver"
 * (ifs:constraints-on-dispatch-routines): the lower driver is entitled to the IRQL its own
 * dispatch routine is normally called at (PASSIVE_LEVEL here), may wait, and may complete the IRP
 * at once, running the completion routines above it with this driver's lock held.
 */
function serializingFilterDriver(k: Kernel): DriverDefinition {
  // A driver global: the static KSPIN_LOCK that DriverEntry would KeInitializeSpinLock.
  const FilterWriteLock = k.KeInitializeSpinLock('filter.WriteLock');

  async function FilterDispatchWrite(k: Kernel, DeviceObject: DeviceObject<FilterExtension>, Irp: Irp): Promise<NtStatus> {
    const OldIrql = await k.KeAcquireSpinLock(FilterWriteLock);
    k.IoSkipCurrentIrpStackLocation(Irp);
    // BUG: IoCallDriver at DISPATCH_LEVEL with a spin lock held; release the lock before passing the IRP down.
    const status = await k.IoCallDriver(DeviceObject.DeviceExtension.Lower, Irp);
    await k.KeReleaseSpinLock(FilterWriteLock, OldIrql);
    return status;
  }

  return filterDriver(k, { FilterDispatchWrite });
}

export default defineScenario({
  name: 'calldriver-at-dispatch',
  description: 'The filter\'s write dispatch holds a spin lock (DISPATCH_LEVEL) across IoCallDriver',
  plants: ['CallDriverAtRaisedIrql'],
  devices: [{ name: 'disk0', vector: 0x51, irql: 5, stack: ['disk', 'filter'] }],
  requesters: 2,
  requests: 20,
  workload: mixedWorkload,
  drivers: (k) => [diskDriver(k), serializingFilterDriver(k)],
});
