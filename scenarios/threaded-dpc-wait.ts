import { defineScenario, type KEVENT } from '../model/index.js';
import { diskDriver, finishTransferAtAnyIrql } from './lib/disk-driver.js';
import { filterDriver } from './lib/filter-driver.js';
import { mixedWorkload } from './lib/workload.js';

/**
 * The threaded-DPC stack, whose CustomThreadedDpc waits on a KEVENT before it completes the IRP.
 *
 * A threaded DPC runs at PASSIVE_LEVEL, where the wait looks harmless, but it "must obey all the
 * restrictions of DISPATCH_LEVEL code": "the code must not block on passive-level synchronization
 * objects such as KEVENT objects" (k:introduction-to-threaded-dpcs). With threaded DPCs disabled the
 * same routine runs at DISPATCH_LEVEL, where the wait is a bug check. The event here is always
 * signaled, so the run goes on; the rule pack still finds every wait.
 */
export default defineScenario({
  name: 'threaded-dpc-wait',
  description: "The threaded-DPC stack, whose threaded DPC routine waits on a KEVENT (legal at PASSIVE_LEVEL, forbidden in any DPC)",
  plants: ['WaitAtDispatchOrAbove'],
  devices: [{ name: 'disk0', vector: 0x51, irql: 5, stack: ['disk', 'filter'] }],
  requesters: 2,
  requests: 20,
  workload: mixedWorkload,
  drivers: (k) => {
    const ready: KEVENT = k.KEVENT('DiskReady');
    k.KeInitializeEvent(ready, 'NotificationEvent', true);
    return [diskDriver(k, {
      async DiskThreadedDpc(k, _Dpc, DeviceObject, Irp) {
        // BUG: a wait inside a DPC, threaded or not.
        await k.KeWaitForSingleObject(ready, 'Executive', 'KernelMode', false, null);
        await finishTransferAtAnyIrql(k, DeviceObject, Irp);
      },
    }, { threadedDpc: true }), filterDriver(k)];
  },
});
