import { defineScenario, type Irp, type Kernel } from '../model/index.js';
import { chunkDriver, type ChunkedTransfer } from './lib/chunk-driver.js';
import { diskDriver } from './lib/disk-driver.js';
import { readWorkload } from './lib/workload.js';

/**
 * The chunking driver builds its IRP with IoBuildAsynchronousFsdRequest instead of allocating it
 * with IoAllocateIrp, and still reuses it with IoReuseIrp for every piece after the first.
 *
 * "Drivers should not use this routine for IRPs created with IoMakeAssociatedIrp,
 * IoBuildSynchronousFsdRequest, IoBuildAsynchronousFsdRequest, or IoBuildDeviceIoControlRequest"
 * (ddi:nf-wdm-ioreuseirp). IoReuseIrp zeroes everything the builder set up — on Windows the MDL or
 * system buffer it allocated for the transfer is lost (leaked, its pages left locked) — and the
 * run goes on as if nothing happened, which is why only the trace shows it.
 */
async function ChunkAllocateIrp(k: Kernel, transfer: ChunkedTransfer): Promise<Irp | null> {
  // BUG: an IoBuild… IRP, which IoReuseIrp must not reinitialise.
  return k.IoBuildAsynchronousFsdRequest(transfer.MajorFunction, transfer.Lower, null, transfer.Length, transfer.ByteOffset, null);
}

export default defineScenario({
  name: 'reuse-build-irp',
  description: 'The chunking driver reuses (IoReuseIrp) an IRP it built with IoBuildAsynchronousFsdRequest instead of one from IoAllocateIrp',
  plants: ['ReuseIrpWrongKind'],
  devices: [{ name: 'disk0', vector: 0x51, irql: 5, stack: ['disk', 'chunk'] }],
  requesters: 2,
  requests: 20,
  workload: readWorkload,
  drivers: (k) => [diskDriver(k), chunkDriver(k, { ChunkAllocateIrp })],
});
