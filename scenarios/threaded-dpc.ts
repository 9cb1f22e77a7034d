import { defineScenario } from '../model/index.js';
import { diskDriver } from './lib/disk-driver.js';
import { filterDriver } from './lib/filter-driver.js';
import { mixedWorkload } from './lib/workload.js';

/**
 * The demo stack, with a disk driver whose ISR queues a threaded DPC (KeInitializeThreadedDpc)
 * instead of its DpcForIsr: each transfer finishes at PASSIVE_LEVEL in the processor's DPC thread,
 * which ordinary DPCs and interrupts may preempt and other threads may not
 * (k:introduction-to-threaded-dpcs). The routine raises to DISPATCH_LEVEL around IoStartNextPacket,
 * so it is correct at either IRQL, as the docs ask.
 */
export default defineScenario({
  name: 'threaded-dpc',
  description: 'A correct stack: the demo, with the disk driver finishing each transfer in a threaded DPC (KeInitializeThreadedDpc) at PASSIVE_LEVEL',
  devices: [{ name: 'disk0', vector: 0x51, irql: 5, stack: ['disk', 'filter'] }],
  requesters: 2,
  requests: 200,
  workload: mixedWorkload,
  drivers: (k) => [diskDriver(k, {}, { threadedDpc: true }), filterDriver(k)],
});
