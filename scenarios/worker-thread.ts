import { defineScenario } from '../model/index.js';
import { diskDriver } from './lib/disk-driver.js';
import { mixedWorkload } from './lib/workload.js';
import { workerDriver } from './lib/worker-driver.js';

/** A correct stack whose upper driver serves requests in its own system thread, with synchronous IRPs. */
export default defineScenario({
  name: 'worker-thread',
  description: 'A correct stack: a driver that queues reads and writes to its own system thread (PsCreateSystemThread), which sends each down with IoBuildSynchronousFsdRequest and waits; DriverUnload stops the thread and waits for it to exit',
  devices: [{ name: 'disk0', vector: 0x51, irql: 5, stack: ['disk', 'worker'] }],
  requesters: 2,
  requests: 200,
  workload: mixedWorkload,
  drivers: (k) => [diskDriver(k), workerDriver(k)],
});
