import {
  DO_DEVICE_INITIALIZING, IO_NO_INCREMENT, IRP_MJ_DEVICE_CONTROL, IRP_MJ_READ, IRP_MJ_WRITE,
  NT_SUCCESS, STATUS_INSUFFICIENT_RESOURCES, STATUS_MORE_PROCESSING_REQUIRED, STATUS_PENDING, STATUS_SUCCESS,
  type DeviceObject, type DriverDefinition, type DriverObject, type Irp, type Kernel, type NtStatus,
} from '../../model/index.js';
import { createUpperDevice, type UpperExtension } from './upper-device.js';

/** Reads and writes go down in pieces of at most this many bytes, one after another. */
export const CHUNK_BYTES = 16 * 1024;

export type ChunkExtension = UpperExtension;

/** One request on its way down in pieces: the completion routine's context. */
export interface ChunkedTransfer {
  readonly Original: Irp;
  readonly Lower: DeviceObject;
  readonly MajorFunction: number;
  readonly ByteOffset: number;
  readonly Length: number;
  /** Bytes the lower driver has transferred so far. */
  Done: number;
}

/** Where a buggy variant departs from the correct driver. */
export interface ChunkDriverOverrides {
  /** Creates the one IRP every piece of `transfer` goes down in; the correct driver calls IoAllocateIrp. */
  ChunkAllocateIrp?: (k: Kernel, transfer: ChunkedTransfer) => Promise<Irp | null>;
}

async function allocateOwnIrp(k: Kernel, transfer: ChunkedTransfer): Promise<Irp | null> {
  return k.IoAllocateIrp(transfer.Lower.StackSize, false);
}

/**
 * A highest-level driver that sends each read or write down in pieces of CHUNK_BYTES, one at a
 * time, all in one IRP of its own. The IRP is allocated once per request with IoAllocateIrp; when a
 * piece completes, the completion routine, which returns STATUS_MORE_PROCESSING_REQUIRED and so
 * owns the IRP again, reinitialises it with IoReuseIrp and sends the next piece
 * (k:reusing-irps: "drivers that create an IRP with IoAllocateIrp can reuse the IRP by calling
 * IoReuseIrp"). After the last piece, or a failed one, it frees the IRP and then completes the
 * original. Device controls pass through untouched.
 */
export function chunkDriver(k: Kernel, overrides: ChunkDriverOverrides = {}): DriverDefinition {
  /** Sets up the IRP's next location for the piece that starts at `transfer.Done` and sends it down. */
  async function sendPiece(Own: Irp, transfer: ChunkedTransfer): Promise<void> {
    const next = k.IoGetNextIrpStackLocation(Own);
    next.MajorFunction = transfer.MajorFunction;
    next.Parameters.Read.Length = Math.min(CHUNK_BYTES, transfer.Length - transfer.Done);
    next.Parameters.Read.ByteOffset = transfer.ByteOffset + transfer.Done;
    k.IoSetCompletionRoutine(Own, ChunkPieceComplete, transfer, true, true, true);
    await k.IoCallDriver(transfer.Lower, Own);
  }

  async function ChunkPieceComplete(_DeviceObject: DeviceObject | null, Own: Irp, transfer: ChunkedTransfer): Promise<NtStatus> {
    const status = Own.IoStatus.Status;
    if (NT_SUCCESS(status)) transfer.Done += Own.IoStatus.Information;
    if (NT_SUCCESS(status) && transfer.Done < transfer.Length) {
      // Returning STATUS_MORE_PROCESSING_REQUIRED below makes the IRP ours again: reuse it.
      await k.IoReuseIrp(Own, STATUS_SUCCESS);
      await sendPiece(Own, transfer);
      return STATUS_MORE_PROCESSING_REQUIRED;
    }
    const Original = transfer.Original;
    Original.IoStatus.Status = status;
    Original.IoStatus.Information = transfer.Done;
    // Free the driver's own IRP before completing the original (k:creating-irps-for-lower-level-drivers).
    await k.IoFreeIrp(Own);
    await k.IoCompleteRequest(Original, IO_NO_INCREMENT);
    return STATUS_MORE_PROCESSING_REQUIRED;
  }

  async function ChunkDispatchReadWrite(DeviceObject: DeviceObject<ChunkExtension>, Irp: Irp): Promise<NtStatus> {
    const current = k.IoGetCurrentIrpStackLocation(Irp);
    const transfer: ChunkedTransfer = {
      Original: Irp, Lower: DeviceObject.DeviceExtension.Lower, MajorFunction: current.MajorFunction,
      ByteOffset: current.Parameters.Read.ByteOffset, Length: current.Parameters.Read.Length, Done: 0,
    };
    const Own = await (overrides.ChunkAllocateIrp ?? allocateOwnIrp)(k, transfer);
    if (Own === null) {
      Irp.IoStatus.Status = STATUS_INSUFFICIENT_RESOURCES;
      Irp.IoStatus.Information = 0;
      await k.IoCompleteRequest(Irp, IO_NO_INCREMENT);
      return STATUS_INSUFFICIENT_RESOURCES;
    }
    k.IoMarkIrpPending(Irp);
    await sendPiece(Own, transfer);
    return STATUS_PENDING;
  }

  async function ChunkDispatchDeviceControl(DeviceObject: DeviceObject<ChunkExtension>, Irp: Irp): Promise<NtStatus> {
    k.IoSkipCurrentIrpStackLocation(Irp);
    return k.IoCallDriver(DeviceObject.DeviceExtension.Lower, Irp);
  }

  async function ChunkAddDevice(DriverObject: DriverObject, PhysicalDeviceObject: DeviceObject): Promise<NtStatus> {
    const { status, DeviceObject } = createUpperDevice<ChunkExtension>(k, DriverObject, PhysicalDeviceObject, 'chunk', { Lower: PhysicalDeviceObject });
    if (DeviceObject === null) return status;
    DeviceObject.Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
  }

  return {
    name: 'chunk',
    DriverEntry(DriverObject: DriverObject): NtStatus {
      DriverObject.MajorFunction[IRP_MJ_READ] = ChunkDispatchReadWrite;
      DriverObject.MajorFunction[IRP_MJ_WRITE] = ChunkDispatchReadWrite;
      DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = ChunkDispatchDeviceControl;
      DriverObject.DriverExtension.AddDevice = ChunkAddDevice;
      return STATUS_SUCCESS;
    },
  };
}
