import {
  DO_BUFFERED_IO, DO_DIRECT_IO, STATUS_SUCCESS,
  type DeviceObject, type DriverObject, type Kernel, type NtStatus,
} from '../../model/index.js';

/** The extension of an upper driver's device: at least the device it sends requests down to. */
export interface UpperExtension {
  Lower: DeviceObject;
}

/**
 * What every upper driver's AddDevice starts with: IoCreateDevice (named `<PDO name>.<suffix>`),
 * IoAttachDeviceToDeviceStack over the PDO's stack — the extension's `Lower` becomes the device it
 * attached to — and that device's buffering method (DO_DIRECT_IO or DO_BUFFERED_IO) copied, as a
 * driver layered over another must. The caller finishes its own set-up, then clears
 * DO_DEVICE_INITIALIZING.
 */
export function createUpperDevice<E extends UpperExtension>(k: Kernel, DriverObject: DriverObject, PhysicalDeviceObject: DeviceObject,
  suffix: string, extension: E): { status: NtStatus; DeviceObject: DeviceObject<E> | null } {
  const { status, DeviceObject } = k.IoCreateDevice<E>(DriverObject, extension, `${PhysicalDeviceObject.Name}.${suffix}`);
  if (status !== STATUS_SUCCESS) return { status, DeviceObject: null };
  const lower = k.IoAttachDeviceToDeviceStack(DeviceObject, PhysicalDeviceObject);
  extension.Lower = lower;
  DeviceObject.Flags |= lower.Flags & (DO_DIRECT_IO | DO_BUFFERED_IO);
  return { status, DeviceObject };
}
