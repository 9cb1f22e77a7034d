import { defineScenario, type DeviceObject, type DriverObject, type Kernel } from '../model/index.js';
import { diskDriver } from './lib/disk-driver.js';
import { mixedWorkload } from './lib/workload.js';
import { workerDriver, type WorkerExtension } from './lib/worker-driver.js';

/**
 * The worker-thread stack, whose DriverUnload detaches its devices but forgets the thread it
 * created: it never tells it to exit, nor waits on its thread object.
 *
 * "A driver that creates its own threads must ensure that each such thread terminates"
 * (ddi:nf-wdm-psterminatesystemthread). Here the thread is left waiting for work that will never
 * come, in a driver that has been unloaded: in Windows, the next time it ran it would execute
 * freed code. The run cannot complete (end reason `stalled`).
 */
async function WorkerUnload(k: Kernel, DriverObject: DriverObject): Promise<void> {
  for (let device = DriverObject.DeviceObject as DeviceObject<WorkerExtension> | null; device !== null; device = DriverObject.DeviceObject as DeviceObject<WorkerExtension> | null) {
    // BUG: Stopping is never set, Work never signaled, and the thread object never waited on.
    k.IoDetachDevice(device.DeviceExtension.Lower);
    k.IoDeleteDevice(device);
  }
}

export default defineScenario({
  name: 'thread-not-terminated',
  description: "The worker driver's DriverUnload detaches its device but never stops the system thread it created",
  plants: ['SystemThreadNotTerminated'],
  devices: [{ name: 'disk0', vector: 0x51, irql: 5, stack: ['disk', 'worker'] }],
  requesters: 2,
  requests: 20,
  workload: mixedWorkload,
  drivers: (k) => [diskDriver(k), workerDriver(k, { WorkerUnload })],
});
