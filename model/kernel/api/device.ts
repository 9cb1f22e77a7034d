import type { NtStatus } from '../../brands.js';
import { DO_DEVICE_INITIALIZING } from '../../constants/irp.js';
import { STATUS_SUCCESS } from '../../constants/ntstatus.js';
import { DeviceObject, type DriverObject } from '../../wdm/device.js';

const deviceCounts = new WeakMap<DriverObject, number>();

/**
 * IoCreateDevice(DriverObject, DeviceExtension, DeviceName, …): the extension is passed as its
 * initial value instead of a size; an unnamed device is named after its driver. Returns
 * `{ status, DeviceObject }` (the out parameter).
 */
export function IoCreateDevice<T extends object>(DriverObject: DriverObject, DeviceExtension: T, DeviceName: string | null = null): { status: NtStatus; DeviceObject: DeviceObject<T> } {
  const n = (deviceCounts.get(DriverObject) ?? 0) + 1;
  deviceCounts.set(DriverObject, n);
  const device = new DeviceObject<T>(DeviceName ?? `${DriverObject.DriverName}${n - 1}`, DriverObject, DeviceExtension);
  device.Flags |= DO_DEVICE_INITIALIZING;
  device.NextDevice = DriverObject.DeviceObject;
  DriverObject.DeviceObject = device;
  return { status: STATUS_SUCCESS, DeviceObject: device };
}

/** IoGetAttachedDevice(DeviceObject): the top of the stack it is in. */
export function IoGetAttachedDevice(DeviceObject: DeviceObject): DeviceObject {
  let top = DeviceObject;
  while (top.AttachedDevice !== null) top = top.AttachedDevice;
  return top;
}

/**
 * IoAttachDeviceToDeviceStack(SourceDevice, TargetDevice): attaches to the top of the target's
 * stack and returns the device attached to (the one to send IRPs on to); StackSize = its + 1.
 */
export function IoAttachDeviceToDeviceStack(SourceDevice: DeviceObject, TargetDevice: DeviceObject): DeviceObject {
  const top = IoGetAttachedDevice(TargetDevice);
  top.AttachedDevice = SourceDevice;
  SourceDevice.attachedTo = top;
  SourceDevice.StackSize = top.StackSize + 1;
  return top;
}

/** IoDetachDevice(TargetDevice): detaches whatever is attached above it. */
export function IoDetachDevice(TargetDevice: DeviceObject): void {
  const above = TargetDevice.AttachedDevice;
  if (above !== null) above.attachedTo = null;
  TargetDevice.AttachedDevice = null;
}

/**
 * IoDeleteDevice(DeviceObject): takes the device off its driver's list of devices
 * (DriverObject->DeviceObject, NextDevice). A driver detaches it first (IoDetachDevice on the
 * device it attached to), in its remove or unload path.
 */
export function IoDeleteDevice(DeviceObject: DeviceObject): void {
  const driver = DeviceObject.DriverObject;
  if (driver.DeviceObject === DeviceObject) driver.DeviceObject = DeviceObject.NextDevice;
  else {
    let d = driver.DeviceObject;
    while (d !== null && d.NextDevice !== DeviceObject) d = d.NextDevice;
    if (d !== null) d.NextDevice = DeviceObject.NextDevice;
  }
  DeviceObject.NextDevice = null;
}
