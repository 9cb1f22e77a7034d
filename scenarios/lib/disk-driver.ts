import {
  DISPATCH_LEVEL, DO_DEVICE_INITIALIZING, DO_DIRECT_IO, IO_DISK_INCREMENT, IRP_MJ_DEVICE_CONTROL, IRP_MJ_READ, IRP_MJ_WRITE,
  STATUS_PENDING, STATUS_SUCCESS,
  type DeviceObject, type DriverDefinition, type DriverObject, type HardwareResources, type Irp, type KDPC, type KINTERRUPT, type Kernel, type NtStatus,
} from '../../model/index.js';

/** The disk function driver's device extension. */
export interface DiskExtension {
  Lower: DeviceObject | null;
  Interrupt: KINTERRUPT | null;
  Registers: HardwareResources['Registers'] | null;
  /** With `threadedDpc`: the KDPC the ISR queues instead of the device's DpcForIsr. */
  CompletionDpc: KDPC | null;
}

/** Which parts of the disk driver a buggy variant replaces; the rest is the correct driver. */
export interface DiskDriverOverrides {
  DiskDispatchReadWrite?: (k: Kernel, DeviceObject: DeviceObject<DiskExtension>, Irp: Irp) => Promise<NtStatus>;
  DiskInterruptService?: (k: Kernel, Interrupt: KINTERRUPT, DeviceObject: DeviceObject<DiskExtension>) => Promise<boolean>;
  DiskDpcForIsr?: (k: Kernel, Dpc: KDPC, DeviceObject: DeviceObject<DiskExtension>, Irp: Irp) => Promise<void>;
  DiskDispatchDeviceControl?: (k: Kernel, DeviceObject: DeviceObject<DiskExtension>, Irp: Irp) => Promise<NtStatus>;
  /** The CustomThreadedDpc of a `threadedDpc` driver. */
  DiskThreadedDpc?: (k: Kernel, Dpc: KDPC, DeviceObject: DeviceObject<DiskExtension>, Irp: Irp) => Promise<void>;
}

/**
 * What the threaded DPC does, correct at PASSIVE_LEVEL and at DISPATCH_LEVEL alike: IoStartNextPacket
 * wants DISPATCH_LEVEL, so it raises around it (KeRaiseIrql from DISPATCH_LEVEL to itself is allowed).
 */
export async function finishTransferAtAnyIrql(k: Kernel, DeviceObject: DeviceObject<DiskExtension>, Irp: Irp): Promise<void> {
  const stack = k.IoGetCurrentIrpStackLocation(Irp);
  Irp.IoStatus.Status = STATUS_SUCCESS;
  Irp.IoStatus.Information = stack.Parameters.Read.Length;
  const old = await k.KeRaiseIrql(DISPATCH_LEVEL);
  await k.IoStartNextPacket(DeviceObject, false);
  await k.KeLowerIrql(old);
  await k.IoCompleteRequest(Irp, IO_DISK_INCREMENT);
}

/** How the disk driver finishes a transfer. */
export interface DiskDriverOptions {
  /**
   * Queue a threaded DPC (KeInitializeThreadedDpc + KeInsertQueueDpc) from the ISR instead of the
   * DpcForIsr (IoRequestDpc): the same work, at PASSIVE_LEVEL in the processor's DPC thread.
   */
  readonly threadedDpc?: boolean;
}

/**
 * A disk-like function driver in the classic WDM shape: dispatch marks the IRP pending and queues it
 * with IoStartPacket; StartIo programs the device at DISPATCH_LEVEL; the ISR acknowledges the
 * interrupt and queues the DpcForIsr with IoRequestDpc; the DpcForIsr starts the next packet and
 * completes the IRP.
 */
export function diskDriver(k: Kernel, overrides: DiskDriverOverrides = {}, options: DiskDriverOptions = {}): DriverDefinition {
  async function DiskDispatchReadWrite(DeviceObject: DeviceObject<DiskExtension>, Irp: Irp): Promise<NtStatus> {
    if (overrides.DiskDispatchReadWrite) return overrides.DiskDispatchReadWrite(k, DeviceObject, Irp);
    k.IoMarkIrpPending(Irp);
    await k.IoStartPacket(DeviceObject, Irp, null, null);
    return STATUS_PENDING;
  }

  async function DiskStartIo(DeviceObject: DeviceObject<DiskExtension>, Irp: Irp): Promise<void> {
    const stack = k.IoGetCurrentIrpStackLocation(Irp);
    await k.WRITE_REGISTER_ULONG(DeviceObject.DeviceExtension.Registers!.Command, Math.max(1, stack.Parameters.Read.Length));
  }

  async function DiskInterruptService(Interrupt: KINTERRUPT, DeviceObject: DeviceObject<DiskExtension>): Promise<boolean> {
    if (overrides.DiskInterruptService) return overrides.DiskInterruptService(k, Interrupt, DeviceObject);
    const registers = DeviceObject.DeviceExtension.Registers!;
    if ((await k.READ_REGISTER_ULONG(registers.Status)) === 0) return false;
    await k.WRITE_REGISTER_ULONG(registers.Status, 1);
    // Last thing before returning: the DPC may start on another processor at once.
    const threaded = DeviceObject.DeviceExtension.CompletionDpc;
    if (threaded !== null) await k.KeInsertQueueDpc(threaded, DeviceObject.CurrentIrp, null);
    else await k.IoRequestDpc(DeviceObject, DeviceObject.CurrentIrp, null);
    return true;
  }

  async function DiskDpcForIsr(Dpc: KDPC, DeviceObject: DeviceObject<DiskExtension>, Irp: Irp): Promise<void> {
    if (overrides.DiskDpcForIsr) return overrides.DiskDpcForIsr(k, Dpc, DeviceObject, Irp);
    const stack = k.IoGetCurrentIrpStackLocation(Irp);
    Irp.IoStatus.Status = STATUS_SUCCESS;
    Irp.IoStatus.Information = stack.Parameters.Read.Length;
    await k.IoStartNextPacket(DeviceObject, false);
    await k.IoCompleteRequest(Irp, IO_DISK_INCREMENT);
  }

  /** The CustomThreadedDpc: at PASSIVE_LEVEL, or at DISPATCH_LEVEL with threaded DPCs disabled. */
  async function DiskThreadedDpc(Dpc: KDPC, DeferredContext: unknown, SystemArgument1: unknown): Promise<void> {
    const DeviceObject = DeferredContext as DeviceObject<DiskExtension>;
    const Irp = SystemArgument1 as Irp;
    if (overrides.DiskThreadedDpc) return overrides.DiskThreadedDpc(k, Dpc, DeviceObject, Irp);
    await finishTransferAtAnyIrql(k, DeviceObject, Irp);
  }

  async function DiskDispatchDeviceControl(DeviceObject: DeviceObject<DiskExtension>, Irp: Irp): Promise<NtStatus> {
    if (overrides.DiskDispatchDeviceControl) return overrides.DiskDispatchDeviceControl(k, DeviceObject, Irp);
    Irp.IoStatus.Status = STATUS_SUCCESS;
    Irp.IoStatus.Information = 0;
    await k.IoCompleteRequest(Irp, 0);
    return STATUS_SUCCESS;
  }

  async function DiskAddDevice(DriverObject: DriverObject, PhysicalDeviceObject: DeviceObject): Promise<NtStatus> {
    const resources = PhysicalDeviceObject.HardwareResources!;
    const { status, DeviceObject } = k.IoCreateDevice<DiskExtension>(DriverObject, { Lower: null, Interrupt: null, Registers: resources.Registers, CompletionDpc: null }, `${PhysicalDeviceObject.Name}.fdo`);
    if (status !== STATUS_SUCCESS) return status;
    DeviceObject.Flags |= DO_DIRECT_IO;
    DeviceObject.DeviceExtension.Lower = k.IoAttachDeviceToDeviceStack(DeviceObject, PhysicalDeviceObject);
    if (options.threadedDpc) {
      const dpc = k.KDPC(`${DeviceObject.Name}.CompletionDpc`);
      k.KeInitializeThreadedDpc(dpc, DiskThreadedDpc, DeviceObject);
      DeviceObject.DeviceExtension.CompletionDpc = dpc;
    } else {
      k.IoInitializeDpcRequest(DeviceObject, DiskDpcForIsr);
    }
    const connected = k.IoConnectInterrupt(DiskInterruptService, DeviceObject, null, resources.Vector, resources.Irql, resources.Irql, 'Latched', false, -1, false);
    if (connected.status !== STATUS_SUCCESS) return connected.status;
    DeviceObject.DeviceExtension.Interrupt = connected.InterruptObject;
    DeviceObject.Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
  }

  return {
    name: 'disk',
    DriverEntry(DriverObject: DriverObject): NtStatus {
      DriverObject.MajorFunction[IRP_MJ_READ] = DiskDispatchReadWrite;
      DriverObject.MajorFunction[IRP_MJ_WRITE] = DiskDispatchReadWrite;
      DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = DiskDispatchDeviceControl;
      DriverObject.DriverStartIo = DiskStartIo;
      DriverObject.DriverExtension.AddDevice = DiskAddDevice;
      return STATUS_SUCCESS;
    },
  };
}
