import type { NtStatus } from '../brands.js';
import { IRP_MJ_MAXIMUM_FUNCTION } from '../constants/irp.js';
import type { DeviceHardware } from '../kernel/hardware.js';
import { KDPC } from './dpc.js';
import type { Irp } from './irp.js';

/** DispatchXxx(DeviceObject, Irp). */
export type PDRIVER_DISPATCH = (DeviceObject: DeviceObject, Irp: Irp) => Promise<NtStatus> | NtStatus;
/** StartIo(DeviceObject, Irp), called at DISPATCH_LEVEL. */
export type PDRIVER_STARTIO = (DeviceObject: DeviceObject, Irp: Irp) => Promise<void> | void;
/** DriverUnload(DriverObject): called at PASSIVE_LEVEL in a system thread once the workload is done. */
export type PDRIVER_UNLOAD = (DriverObject: DriverObject) => Promise<void> | void;
/** AddDevice(DriverObject, PhysicalDeviceObject). */
export type PDRIVER_ADD_DEVICE = (DriverObject: DriverObject, PhysicalDeviceObject: DeviceObject) => Promise<NtStatus> | NtStatus;

/** DRIVER_OBJECT: what DriverEntry fills in. */
export class DriverObject {
  /** Every entry starts as the I/O manager's "invalid device request" routine. */
  readonly MajorFunction: PDRIVER_DISPATCH[];
  readonly DriverExtension: { AddDevice: PDRIVER_ADD_DEVICE | null } = { AddDevice: null };
  DriverStartIo: PDRIVER_STARTIO | null = null;
  DriverUnload: PDRIVER_UNLOAD | null = null;
  /** The first device the driver created. */
  DeviceObject: DeviceObject | null = null;

  constructor(readonly DriverName: string, invalidRequest: PDRIVER_DISPATCH) {
    this.MajorFunction = Array.from({ length: IRP_MJ_MAXIMUM_FUNCTION + 1 }, () => invalidRequest);
  }
}

/** KDEVICE_QUEUE, as IoStartPacket and IoStartNextPacket use it. */
export interface KDEVICE_QUEUE {
  Busy: boolean;
  readonly entries: Irp[];
}

/** The resources a PnP START_DEVICE would hand the function driver (the model gives them to AddDevice). */
export interface HardwareResources {
  readonly Vector: number;
  /** The device's DIRQL: pass it as Irql and SynchronizeIrql to IoConnectInterrupt. */
  readonly Irql: number;
  readonly Registers: DeviceHardware['Registers'];
}

/** DEVICE_OBJECT. */
export class DeviceObject<TExtension = any> {
  DeviceExtension: TExtension;
  /** The device attached directly above this one, if any. */
  AttachedDevice: DeviceObject | null = null;
  StackSize = 1;
  Flags = 0;
  Characteristics = 0;
  /** The device's own DPC object, set up by IoInitializeDpcRequest. */
  readonly Dpc: KDPC;
  CurrentIrp: Irp | null = null;
  readonly DeviceQueue: KDEVICE_QUEUE = { Busy: false, entries: [] };
  NextDevice: DeviceObject | null = null;
  /** For a physical device object: what the bus assigned. */
  HardwareResources: HardwareResources | null = null;
  /** @internal the device this one is attached to (what IoAttachDeviceToDeviceStack returned) */
  attachedTo: DeviceObject | null = null;

  constructor(readonly Name: string, readonly DriverObject: DriverObject, extension: TExtension) {
    this.DeviceExtension = extension;
    this.Dpc = new KDPC(`${Name}.Dpc`);
  }
}
