import {
  DO_DEVICE_INITIALIZING, IO_NO_INCREMENT, IRP_MJ_DEVICE_CONTROL, IRP_MJ_READ, IRP_MJ_WRITE,
  STATUS_INSUFFICIENT_RESOURCES, STATUS_PENDING, STATUS_SUCCESS,
  type DeviceObject, type DriverDefinition, type DriverObject, type Irp, type KEVENT, type KSPIN_LOCK, type KTHREAD, type Kernel, type NtStatus,
} from '../../model/index.js';
import { createUpperDevice, type UpperExtension } from './upper-device.js';

export interface WorkerExtension extends UpperExtension {
  /** Reads and writes waiting for the worker thread, guarded by QueueLock. */
  readonly Queue: Irp[];
  readonly QueueLock: KSPIN_LOCK;
  /** Signaled when the queue gains an IRP, or when the driver unloads. */
  readonly Work: KEVENT;
  Stopping: boolean;
  Thread: KTHREAD | null;
}

/**
 * A highest-level driver that serves reads and writes in its own system thread, the way the docs
 * allow synchronous IRPs to be built: "by a driver-created thread ... because such a thread can
 * wait in a nonarbitrary thread context (its own) on a dispatcher object, such as a
 * driver-initialized Event passed to IoBuildSynchronousFsdRequest"
 * (k:creating-irps-for-lower-level-drivers). Its dispatch routine marks the IRP pending, queues
 * it and wakes the thread; the thread sends each request down in an IRP built with
 * IoBuildSynchronousFsdRequest, waits for it, and completes the original. DriverUnload stops the
 * thread and waits on its thread object until it has exited. Device controls pass through.
 */
/** The routine a buggy variant may replace; it gets the kernel and the correct version's arguments. */
export interface WorkerDriverOverrides {
  WorkerUnload?: (k: Kernel, DriverObject: DriverObject) => Promise<void>;
}

export function workerDriver(k: Kernel, overrides: WorkerDriverOverrides = {}): DriverDefinition {
  async function WorkerDispatchReadWrite(DeviceObject: DeviceObject<WorkerExtension>, Irp: Irp): Promise<NtStatus> {
    const ext = DeviceObject.DeviceExtension;
    k.IoMarkIrpPending(Irp);
    const old = await k.KeAcquireSpinLock(ext.QueueLock);
    ext.Queue.push(Irp);
    await k.KeReleaseSpinLock(ext.QueueLock, old);
    await k.KeSetEvent(ext.Work, IO_NO_INCREMENT, false);
    return STATUS_PENDING;
  }

  async function WorkerDispatchDeviceControl(DeviceObject: DeviceObject<WorkerExtension>, Irp: Irp): Promise<NtStatus> {
    k.IoSkipCurrentIrpStackLocation(Irp);
    return k.IoCallDriver(DeviceObject.DeviceExtension.Lower, Irp);
  }

  /** The thread: waits for work, serves the queue, and exits once the driver is unloading. */
  async function WorkerThread(StartContext: unknown): Promise<void> {
    const DeviceObject = StartContext as DeviceObject<WorkerExtension>;
    const ext = DeviceObject.DeviceExtension;
    for (;;) {
      await k.KeWaitForSingleObject(ext.Work, 'Executive', 'KernelMode', false, null);
      for (let Irp = await dequeue(ext); Irp !== null; Irp = await dequeue(ext)) await serve(ext.Lower, Irp);
      if (ext.Stopping) k.PsTerminateSystemThread(STATUS_SUCCESS);
    }
  }

  async function dequeue(ext: WorkerExtension): Promise<Irp | null> {
    const old = await k.KeAcquireSpinLock(ext.QueueLock);
    const Irp = ext.Queue.shift() ?? null;
    await k.KeReleaseSpinLock(ext.QueueLock, old);
    return Irp;
  }

  /** One request, synchronously, in this thread: build, send, wait, complete the original. */
  async function serve(Lower: DeviceObject, Irp: Irp): Promise<void> {
    const stack = k.IoGetCurrentIrpStackLocation(Irp);
    const done = k.KEVENT(`Worker.Irp${Irp.id}.Done`);
    k.KeInitializeEvent(done, 'NotificationEvent', false);
    const iosb = { Status: STATUS_SUCCESS, Information: 0 };
    // The original's data buffer: its MDL (direct I/O) or system buffer (buffered I/O).
    const buffer = Irp.MdlAddress ?? Irp.AssociatedIrp.SystemBuffer;
    const own = await k.IoBuildSynchronousFsdRequest(stack.MajorFunction, Lower, buffer, stack.Parameters.Read.Length, stack.Parameters.Read.ByteOffset, done, iosb);
    if (own === null) {
      Irp.IoStatus.Status = STATUS_INSUFFICIENT_RESOURCES;
      Irp.IoStatus.Information = 0;
    } else {
      const status = await k.IoCallDriver(Lower, own);
      // The I/O manager sets the event and fills iosb once the IRP has completed, and frees it.
      if (status === STATUS_PENDING) await k.KeWaitForSingleObject(done, 'Executive', 'KernelMode', false, null);
      Irp.IoStatus.Status = iosb.Status;
      Irp.IoStatus.Information = iosb.Information;
    }
    await k.IoCompleteRequest(Irp, IO_NO_INCREMENT);
  }

  async function WorkerAddDevice(DriverObject: DriverObject, PhysicalDeviceObject: DeviceObject): Promise<NtStatus> {
    const extension: WorkerExtension = {
      Lower: PhysicalDeviceObject, Queue: [], QueueLock: k.KeInitializeSpinLock(`${PhysicalDeviceObject.Name}.worker.QueueLock`),
      Work: k.KEVENT(`${PhysicalDeviceObject.Name}.worker.Work`), Stopping: false, Thread: null,
    };
    k.KeInitializeEvent(extension.Work, 'SynchronizationEvent', false);
    const { status, DeviceObject } = createUpperDevice(k, DriverObject, PhysicalDeviceObject, 'worker', extension);
    if (DeviceObject === null) return status;
    const thread = await k.PsCreateSystemThread(WorkerThread, DeviceObject);
    if (thread.status !== STATUS_SUCCESS) {
      k.IoDetachDevice(extension.Lower);
      k.IoDeleteDevice(DeviceObject);
      return thread.status;
    }
    extension.Thread = thread.Thread;
    DeviceObject.Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
  }

  async function WorkerUnload(DriverObject: DriverObject): Promise<void> {
    if (overrides.WorkerUnload) return overrides.WorkerUnload(k, DriverObject);
    // The model has no PnP removal: as a non-PnP driver's unload must, stop the thread, then
    // detach and delete each device.
    for (let device = DriverObject.DeviceObject as DeviceObject<WorkerExtension> | null; device !== null; device = DriverObject.DeviceObject as DeviceObject<WorkerExtension> | null) {
      const ext = device.DeviceExtension;
      ext.Stopping = true;
      await k.KeSetEvent(ext.Work, IO_NO_INCREMENT, false);
      if (ext.Thread !== null) await k.KeWaitForSingleObject(ext.Thread, 'Executive', 'KernelMode', false, null);
      k.IoDetachDevice(ext.Lower);
      k.IoDeleteDevice(device);
    }
  }

  return {
    name: 'worker',
    DriverEntry(DriverObject: DriverObject): NtStatus {
      DriverObject.MajorFunction[IRP_MJ_READ] = WorkerDispatchReadWrite;
      DriverObject.MajorFunction[IRP_MJ_WRITE] = WorkerDispatchReadWrite;
      DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = WorkerDispatchDeviceControl;
      DriverObject.DriverExtension.AddDevice = WorkerAddDevice;
      DriverObject.DriverUnload = WorkerUnload;
      return STATUS_SUCCESS;
    },
  };
}
