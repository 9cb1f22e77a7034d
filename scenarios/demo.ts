import { defineScenario } from '../model/index.js';
import { diskDriver } from './lib/disk-driver.js';
import { filterDriver } from './lib/filter-driver.js';
import { mixedWorkload } from './lib/workload.js';

/** The correct stack: what `npm start` runs. */
export default defineScenario({
  name: 'demo',
  description: 'A correct stack: a filter/class driver (associated and driver-allocated IRPs) over a disk-like function driver with ISR and DpcForIsr',
  devices: [{ name: 'disk0', vector: 0x51, irql: 5, stack: ['disk', 'filter'] }],
  requesters: 2,
  requests: 200,
  workload: mixedWorkload,
  drivers: (k) => [diskDriver(k), filterDriver(k)],
});
