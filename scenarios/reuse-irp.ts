import { defineScenario } from '../model/index.js';
import { chunkDriver } from './lib/chunk-driver.js';
import { diskDriver } from './lib/disk-driver.js';
import { mixedWorkload } from './lib/workload.js';

/** A correct stack whose upper driver sends each request down in pieces, reusing one IRP of its own. */
export default defineScenario({
  name: 'reuse-irp',
  description: 'A correct stack: a driver that sends each read and write down in 16 KiB pieces, one after another, in one IRP it allocates and reinitialises with IoReuseIrp in its completion routine',
  devices: [{ name: 'disk0', vector: 0x51, irql: 5, stack: ['disk', 'chunk'] }],
  requesters: 2,
  requests: 200,
  workload: mixedWorkload,
  drivers: (k) => [diskDriver(k), chunkDriver(k)],
});
