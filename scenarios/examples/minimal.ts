import {
  defineScenario, DO_DEVICE_INITIALIZING, DO_DIRECT_IO, IO_DISK_INCREMENT, IRP_MJ_READ, STATUS_PENDING, STATUS_SUCCESS,
  type DeviceObject, type DriverDefinition, type DriverObject, type HardwareResources, type Irp, type KDPC, type KINTERRUPT, type Kernel, type NtStatus,
} from '../../model/index.js';

/** What the driver keeps per device. */
interface MinimalExtension {
  Registers: HardwareResources['Registers'];
  Interrupt: KINTERRUPT | null;
}

/**
 * The smallest useful WDM function driver: reads only. DispatchRead queues the IRP with
 * IoStartPacket; StartIo starts the transfer; the ISR acknowledges the interrupt and queues the
 * DpcForIsr; the DpcForIsr starts the next packet and completes the IRP.
 */
function minimalDriver(k: Kernel): DriverDefinition {
  async function MinimalDispatchRead(DeviceObject: DeviceObject<MinimalExtension>, Irp: Irp): Promise<NtStatus> {
    k.IoMarkIrpPending(Irp);
    await k.IoStartPacket(DeviceObject, Irp, null, null);
    return STATUS_PENDING;
  }

  async function MinimalStartIo(DeviceObject: DeviceObject<MinimalExtension>, Irp: Irp): Promise<void> {
    const Length = k.IoGetCurrentIrpStackLocation(Irp).Parameters.Read.Length;
    await k.WRITE_REGISTER_ULONG(DeviceObject.DeviceExtension.Registers.Command, Length);
  }

  async function MinimalInterruptService(_Interrupt: KINTERRUPT, DeviceObject: DeviceObject<MinimalExtension>): Promise<boolean> {
    const Registers = DeviceObject.DeviceExtension.Registers;
    if ((await k.READ_REGISTER_ULONG(Registers.Status)) === 0) return false; // not our interrupt
    await k.WRITE_REGISTER_ULONG(Registers.Status, 1);
    await k.IoRequestDpc(DeviceObject, DeviceObject.CurrentIrp, null);
    return true;
  }

  async function MinimalDpcForIsr(_Dpc: KDPC, DeviceObject: DeviceObject<MinimalExtension>, Irp: Irp): Promise<void> {
    Irp.IoStatus.Status = STATUS_SUCCESS;
    Irp.IoStatus.Information = k.IoGetCurrentIrpStackLocation(Irp).Parameters.Read.Length;
    await k.IoStartNextPacket(DeviceObject, false);
    await k.IoCompleteRequest(Irp, IO_DISK_INCREMENT);
  }

  async function MinimalAddDevice(DriverObject: DriverObject, PhysicalDeviceObject: DeviceObject): Promise<NtStatus> {
    const { Vector, Irql, Registers } = PhysicalDeviceObject.HardwareResources!;
    const { status, DeviceObject } = k.IoCreateDevice<MinimalExtension>(DriverObject, { Registers, Interrupt: null });
    if (status !== STATUS_SUCCESS) return status;
    DeviceObject.Flags |= DO_DIRECT_IO;
    k.IoAttachDeviceToDeviceStack(DeviceObject, PhysicalDeviceObject);
    k.IoInitializeDpcRequest(DeviceObject, MinimalDpcForIsr);
    const connected = k.IoConnectInterrupt(MinimalInterruptService, DeviceObject, null, Vector, Irql, Irql, 'Latched', false, -1, false);
    if (connected.status !== STATUS_SUCCESS) return connected.status;
    DeviceObject.DeviceExtension.Interrupt = connected.InterruptObject;
    DeviceObject.Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
  }

  return {
    name: 'minimal',
    DriverEntry(DriverObject: DriverObject): NtStatus {
      DriverObject.MajorFunction[IRP_MJ_READ] = MinimalDispatchRead;
      DriverObject.DriverStartIo = MinimalStartIo;
      DriverObject.DriverExtension.AddDevice = MinimalAddDevice;
      return STATUS_SUCCESS;
    },
  };
}

export default defineScenario({
  name: 'minimal',
  description: 'One function driver that completes reads from its DpcForIsr',
  devices: [{ name: 'dev0', vector: 0x51, irql: 5, stack: ['minimal'] }],
  requests: 10,
  workload: function* (rng, count) {
    for (let i = 0; i < count; i++) yield { major: 'read', length: 512 * rng.int(1, 16), offset: 512 * i };
  },
  drivers: (k) => [minimalDriver(k)],
});
