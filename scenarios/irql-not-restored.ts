import {
  APC_LEVEL, defineScenario, STATUS_CONTINUE_COMPLETION, STATUS_PENDING,
  type DeviceObject, type DriverDefinition, type Irp, type Kernel, type NtStatus,
} from '../model/index.js';
import { diskDriver } from './lib/disk-driver.js';
import { filterDriver, type FilterExtension } from './lib/filter-driver.js';
import { deviceControlWorkload } from './lib/workload.js';

/**
 * The filter's device-control dispatch counts requests once it has passed them down, raising to
 * APC_LEVEL around the update (a home-made guarded region), and returns early on the path where
 * the request completed synchronously, before its KeLowerIrql. The disk completes device controls
 * at once, so this dispatch always returns at APC_LEVEL.
 *
 * Dispatch routines must return at the IRQL they were called at (SDV IrqlReturn; Driver Verifier
 * 0xC9/0x05), and KeLowerIrql must restore what KeRaiseIrql returned (ddi:nf-wdm-kelowerirql).
 * The requester's thread goes back to user mode at APC_LEVEL, which Windows stops with bug check
 * IRQL_GT_ZERO_AT_SYSTEM_SERVICE (0x4A).
 */
function countingFilterDriver(k: Kernel): DriverDefinition {
  // Driver globals (fresh for every run, since drivers(k) is called per run).
  const Statistics = { DeviceControls: 0, PendingDeviceControls: 0 };

  async function FilterDispatchDeviceControl(k: Kernel, DeviceObject: DeviceObject<FilterExtension>, Irp: Irp): Promise<NtStatus> {
    k.IoCopyCurrentIrpStackLocationToNext(Irp);
    k.IoSetCompletionRoutine(Irp, FilterDeviceControlComplete, null, true, true, true);
    const status = await k.IoCallDriver(DeviceObject.DeviceExtension.Lower, Irp);
    const OldIrql = await k.KeRaiseIrql(APC_LEVEL);
    Statistics.DeviceControls++;
    // BUG: this return skips the KeLowerIrql(OldIrql) below: the routine returns at APC_LEVEL.
    if (status !== STATUS_PENDING) return status;
    Statistics.PendingDeviceControls++;
    await k.KeLowerIrql(OldIrql);
    return status;
  }

  /** As in lib/filter-driver.ts: propagate the pending bit. */
  async function FilterDeviceControlComplete(_DeviceObject: DeviceObject | null, Irp: Irp): Promise<NtStatus> {
    if (Irp.PendingReturned) k.IoMarkIrpPending(Irp);
    return STATUS_CONTINUE_COMPLETION;
  }

  return filterDriver(k, { FilterDispatchDeviceControl });
}

export default defineScenario({
  name: 'irql-not-restored',
  description: 'The filter\'s device-control dispatch raises to APC_LEVEL with KeRaiseIrql and returns early without KeLowerIrql',
  plants: ['IrqlNotRestoredOnReturn'],
  devices: [{ name: 'disk0', vector: 0x51, irql: 5, stack: ['disk', 'filter'] }],
  requesters: 2,
  requests: 20,
  workload: deviceControlWorkload,
  drivers: (k) => [diskDriver(k), countingFilterDriver(k)],
});
