import {
  defineScenario, IO_DISK_INCREMENT, IO_NO_INCREMENT, IRP_MJ_DEVICE_CONTROL, STATUS_PENDING, STATUS_SUCCESS,
  type DeviceObject, type Irp, type KDPC, type Kernel, type NtStatus,
} from '../model/index.js';
import { diskDriver, type DiskExtension } from './lib/disk-driver.js';
import { filterDriver } from './lib/filter-driver.js';
import { deviceControlWorkload } from './lib/workload.js';

/**
 * The disk's device-control dispatch does not complete the IRP itself: it marks it pending and
 * hands it to the device's DpcForIsr with IoRequestDpc, from the dispatch routine, at
 * PASSIVE_LEVEL, "so that all completions happen in one place".
 *
 * "Callers of IoRequestDpc must be running at DIRQL. Drivers call IoRequestDpc from an
 * InterruptService routine" (ddi:nf-wdm-iorequestdpc). Outside the ISR nothing serializes the call
 * with the device's interrupt: the device's one DPC object may already be queued by the ISR, and
 * then this call is a no-op that drops its IRP (or the ISR's call drops the ISR's IRP). Queuing a
 * DPC from a thread is what KeInsertQueueDpc on a DPC object of its own is for.
 */
async function DiskDispatchDeviceControl(k: Kernel, DeviceObject: DeviceObject<DiskExtension>, Irp: Irp): Promise<NtStatus> {
  Irp.IoStatus.Status = STATUS_SUCCESS;
  Irp.IoStatus.Information = 0;
  k.IoMarkIrpPending(Irp);
  // BUG: IoRequestDpc belongs in the ISR, at DIRQL; here it runs at PASSIVE_LEVEL in the requester's thread.
  await k.IoRequestDpc(DeviceObject, Irp, null);
  return STATUS_PENDING;
}

/** The DpcForIsr, taught to recognise the device controls the dispatch routine sends it. */
async function DiskDpcForIsr(k: Kernel, _Dpc: KDPC, DeviceObject: DeviceObject<DiskExtension>, Irp: Irp): Promise<void> {
  const stack = k.IoGetCurrentIrpStackLocation(Irp);
  if (stack.MajorFunction === IRP_MJ_DEVICE_CONTROL) {
    // Queued by DiskDispatchDeviceControl, not by the ISR: no transfer to finish, no next packet to start.
    await k.IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return;
  }
  Irp.IoStatus.Status = STATUS_SUCCESS;
  Irp.IoStatus.Information = stack.Parameters.Read.Length;
  await k.IoStartNextPacket(DeviceObject, false);
  await k.IoCompleteRequest(Irp, IO_DISK_INCREMENT);
}

export default defineScenario({
  name: 'dpc-from-dispatch',
  description: 'The disk\'s device-control dispatch queues the device\'s DpcForIsr with IoRequestDpc at PASSIVE_LEVEL to complete the IRP',
  plants: ['IoRequestDpcNotAtDirql'],
  devices: [{ name: 'disk0', vector: 0x51, irql: 5, stack: ['disk', 'filter'] }],
  requesters: 2,
  requests: 20,
  workload: deviceControlWorkload,
  drivers: (k) => [diskDriver(k, { DiskDispatchDeviceControl, DiskDpcForIsr }), filterDriver(k)],
});
