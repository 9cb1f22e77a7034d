import {
  DO_DEVICE_INITIALIZING, IO_NO_INCREMENT, IRP_MJ_DEVICE_CONTROL, IRP_MJ_READ, IRP_MJ_WRITE,
  STATUS_CONTINUE_COMPLETION, STATUS_INSUFFICIENT_RESOURCES, STATUS_MORE_PROCESSING_REQUIRED, STATUS_PENDING, STATUS_SUCCESS,
  type DeviceObject, type DriverDefinition, type DriverObject, type Irp, type Kernel, type NtStatus,
} from '../../model/index.js';
import { createUpperDevice, type UpperExtension } from './upper-device.js';

/** Reads longer than this are split into associated IRPs of this size. */
export const SPLIT_BYTES = 64 * 1024;

export type FilterExtension = UpperExtension;

/** The routines a buggy variant may replace; each gets the kernel and the correct version's arguments. */
export interface FilterDriverOverrides {
  FilterDispatchRead?: (k: Kernel, DeviceObject: DeviceObject<FilterExtension>, Irp: Irp) => Promise<NtStatus>;
  FilterDispatchWrite?: (k: Kernel, DeviceObject: DeviceObject<FilterExtension>, Irp: Irp) => Promise<NtStatus>;
  FilterDispatchDeviceControl?: (k: Kernel, DeviceObject: DeviceObject<FilterExtension>, Irp: Irp) => Promise<NtStatus>;
  FilterAllocatedIrpComplete?: (k: Kernel, DeviceObject: DeviceObject | null, Irp: Irp, Original: Irp) => Promise<NtStatus>;
  /** Replaces splitRead: the part of FilterDispatchRead that handles reads longer than SPLIT_BYTES. */
  FilterSplitRead?: (k: Kernel, DeviceObject: DeviceObject<FilterExtension>, Irp: Irp) => Promise<NtStatus>;
}

/**
 * A highest-level filter/class driver over the disk. Large reads are split into associated IRPs
 * (IoMakeAssociatedIrp; the I/O manager completes the master when the last one completes); other
 * reads go down in an IRP the driver allocates, whose completion routine frees it before
 * completing the original; writes pass through with IoSkipCurrentIrpStackLocation; device controls
 * are copied down with a completion routine that propagates the pending bit.
 */
export function filterDriver(k: Kernel, overrides: FilterDriverOverrides = {}): DriverDefinition {
  async function FilterDispatchRead(DeviceObject: DeviceObject<FilterExtension>, Irp: Irp): Promise<NtStatus> {
    if (overrides.FilterDispatchRead) return overrides.FilterDispatchRead(k, DeviceObject, Irp);
    const length = k.IoGetCurrentIrpStackLocation(Irp).Parameters.Read.Length;
    return length > SPLIT_BYTES ? (overrides.FilterSplitRead ?? splitRead)(k, DeviceObject, Irp) : forwardInAllocatedIrp(k, DeviceObject, Irp, FilterAllocatedIrpComplete);
  }

  async function FilterAllocatedIrpComplete(DeviceObject: DeviceObject | null, Irp: Irp, Original: Irp): Promise<NtStatus> {
    if (overrides.FilterAllocatedIrpComplete) return overrides.FilterAllocatedIrpComplete(k, DeviceObject, Irp, Original);
    Original.IoStatus.Status = Irp.IoStatus.Status;
    Original.IoStatus.Information = Irp.IoStatus.Information;
    // Free the driver-allocated IRP before completing the original (k:creating-irps-for-lower-level-drivers).
    await k.IoFreeIrp(Irp);
    await k.IoCompleteRequest(Original, IO_NO_INCREMENT);
    return STATUS_MORE_PROCESSING_REQUIRED;
  }

  async function FilterDispatchWrite(DeviceObject: DeviceObject<FilterExtension>, Irp: Irp): Promise<NtStatus> {
    if (overrides.FilterDispatchWrite) return overrides.FilterDispatchWrite(k, DeviceObject, Irp);
    k.IoSkipCurrentIrpStackLocation(Irp);
    return k.IoCallDriver(DeviceObject.DeviceExtension.Lower, Irp);
  }

  async function FilterDeviceControlComplete(_DeviceObject: DeviceObject | null, Irp: Irp): Promise<NtStatus> {
    if (Irp.PendingReturned) k.IoMarkIrpPending(Irp);
    return STATUS_CONTINUE_COMPLETION;
  }

  async function FilterDispatchDeviceControl(DeviceObject: DeviceObject<FilterExtension>, Irp: Irp): Promise<NtStatus> {
    if (overrides.FilterDispatchDeviceControl) return overrides.FilterDispatchDeviceControl(k, DeviceObject, Irp);
    k.IoCopyCurrentIrpStackLocationToNext(Irp);
    k.IoSetCompletionRoutine(Irp, FilterDeviceControlComplete, null, true, true, true);
    return k.IoCallDriver(DeviceObject.DeviceExtension.Lower, Irp);
  }

  async function FilterAddDevice(DriverObject: DriverObject, PhysicalDeviceObject: DeviceObject): Promise<NtStatus> {
    const { status, DeviceObject } = createUpperDevice<FilterExtension>(k, DriverObject, PhysicalDeviceObject, 'filter', { Lower: PhysicalDeviceObject });
    if (DeviceObject === null) return status;
    DeviceObject.Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
  }

  return {
    name: 'filter',
    DriverEntry(DriverObject: DriverObject): NtStatus {
      DriverObject.MajorFunction[IRP_MJ_READ] = FilterDispatchRead;
      DriverObject.MajorFunction[IRP_MJ_WRITE] = FilterDispatchWrite;
      DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = FilterDispatchDeviceControl;
      DriverObject.DriverExtension.AddDevice = FilterAddDevice;
      return STATUS_SUCCESS;
    },
  };
}

/** Where a variant of the split-read path departs from it (the buggy scenarios use these). */
export interface SplitReadHooks {
  /** Called for each associated IRP once its next location is set up, before any is sent. */
  prepare?(part: Irp, master: Irp): void;
  /** Called after the associated IRP number `index` has been sent down. */
  afterSend?(index: number, master: Irp): Promise<void>;
}

/**
 * Splits a read into associated IRPs, the way a highest-level driver may
 * (k:creating-irps-for-lower-level-drivers): IrpCount first, the master marked pending and its
 * status set, then each associated IRP sent down; the master is not touched after the last send,
 * since the I/O manager may already have completed it.
 */
export async function splitRead(k: Kernel, DeviceObject: DeviceObject<FilterExtension>, Irp: Irp, hooks: SplitReadHooks = {}): Promise<NtStatus> {
  const lower = DeviceObject.DeviceExtension.Lower;
  const { Length, ByteOffset } = k.IoGetCurrentIrpStackLocation(Irp).Parameters.Read;
  const parts = Math.ceil(Length / SPLIT_BYTES);
  Irp.AssociatedIrp.IrpCount = parts;
  Irp.IoStatus.Status = STATUS_SUCCESS;
  Irp.IoStatus.Information = Length;
  k.IoMarkIrpPending(Irp);
  const associated: Irp[] = [];
  for (let i = 0; i < parts; i++) {
    const part = await k.IoMakeAssociatedIrp(Irp, lower.StackSize);
    const next = k.IoGetNextIrpStackLocation(part);
    next.MajorFunction = IRP_MJ_READ;
    next.Parameters.Read.Length = Math.min(SPLIT_BYTES, Length - i * SPLIT_BYTES);
    next.Parameters.Read.ByteOffset = ByteOffset + i * SPLIT_BYTES;
    hooks.prepare?.(part, Irp);
    associated.push(part);
  }
  for (let i = 0; i < associated.length; i++) {
    await k.IoCallDriver(lower, associated[i]!);
    await hooks.afterSend?.(i, Irp);
  }
  return STATUS_PENDING;
}

/**
 * Sends the request down in an IRP the driver allocates (IoAllocateIrp), with a completion routine
 * on every outcome that gets the original back as its context; the original is marked pending.
 */
export async function forwardInAllocatedIrp(k: Kernel, DeviceObject: DeviceObject<FilterExtension>, Irp: Irp,
  completion: (DeviceObject: DeviceObject | null, Irp: Irp, Original: Irp) => Promise<NtStatus>): Promise<NtStatus> {
  const lower = DeviceObject.DeviceExtension.Lower;
  const own = await k.IoAllocateIrp(lower.StackSize, false);
  const current = k.IoGetCurrentIrpStackLocation(Irp);
  const next = k.IoGetNextIrpStackLocation(own);
  next.MajorFunction = current.MajorFunction;
  next.Parameters.Read.Length = current.Parameters.Read.Length;
  next.Parameters.Read.ByteOffset = current.Parameters.Read.ByteOffset;
  k.IoSetCompletionRoutine(own, completion, Irp, true, true, true);
  k.IoMarkIrpPending(Irp);
  await k.IoCallDriver(lower, own);
  return STATUS_PENDING;
}

export { STATUS_INSUFFICIENT_RESOURCES };
