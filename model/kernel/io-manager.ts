import { APC_LEVEL, PASSIVE_LEVEL } from '../constants/irql.js';
import {
  DO_BUFFERED_IO, IRP_BUFFERED_IO, IRP_DEALLOCATE_BUFFER, IRP_INPUT_OPERATION, IRP_MJ_DEVICE_CONTROL, IRP_MJ_READ, IRP_MJ_WRITE,
  IRP_NOCACHE, IRP_PAGING_IO, IRP_READ_OPERATION, IRP_SYNCHRONOUS_PAGING_IO, IRP_WRITE_OPERATION,
} from '../constants/irp.js';
import { NT_SUCCESS, STATUS_INVALID_DEVICE_REQUEST, STATUS_PENDING, STATUS_SUCCESS, ntStatusName } from '../constants/ntstatus.js';
import type { NtStatus } from '../brands.js';
import type { DriverDefinition, IoRequest, ScenarioDefinition } from '../scenario.js';
import { DeviceObject, DriverObject } from '../wdm/device.js';
import type { Irp } from '../wdm/irp.js';
import { KEVENT } from '../wdm/kevent.js';
import { IoGetAttachedDevice } from './api/device.js';
import { IoCallDriver } from './api/io-call.js';
import { IoCompleteRequest } from './api/io-complete.js';
import { newIrp } from './api/irp-alloc.js';
import { KeWaitForSingleObject } from './api/wait.js';
import { lowerIrql, raiseIrql } from './irql-frames.js';
import { ScenarioError } from './errors.js';
import type { DeviceHardware } from './hardware.js';
import type { Machine } from './machine.js';
import { callRoutine, routineName } from './routine-call.js';
import type { Thread } from './thread.js';

const MAJOR_OF: Record<IoRequest['major'], number> = { read: IRP_MJ_READ, write: IRP_MJ_WRITE, ioctl: IRP_MJ_DEVICE_CONTROL };

/** The I/O manager's default dispatch entry: fail the request with STATUS_INVALID_DEVICE_REQUEST. */
function invalidDeviceRequest(m: Machine) {
  return async function IopInvalidDeviceRequest(_DeviceObject: DeviceObject, Irp: Irp): Promise<NtStatus> {
    Irp.IoStatus = { Status: STATUS_INVALID_DEVICE_REQUEST, Information: 0 };
    await IoCompleteRequest(m, Irp, 0);
    return STATUS_INVALID_DEVICE_REQUEST;
  };
}

/** The bus driver that owns the physical device objects: it completes whatever reaches it. */
function busDispatch(m: Machine) {
  return async function PdoDispatch(_DeviceObject: DeviceObject, Irp: Irp): Promise<NtStatus> {
    const status = Irp.IoStatus.Status;
    await IoCompleteRequest(m, Irp, 0);
    return status;
  };
}

/**
 * The system thread's work at boot: DriverEntry for every driver, then, for every device, a PDO
 * from the bus and AddDevice for each driver of its stack, bottom first (PnP's order).
 * Returns the physical device objects by name, and the driver objects in load order.
 */
export async function loadDrivers(m: Machine, definitions: readonly DriverDefinition[], scenario: ScenarioDefinition,
  hardware: ReadonlyMap<string, DeviceHardware>): Promise<{ pdos: Map<string, DeviceObject>; drivers: DriverObject[] }> {
  const invalid = invalidDeviceRequest(m);
  const drivers = new Map<string, DriverObject>();
  for (const definition of definitions) {
    const driver = new DriverObject(definition.name, invalid);
    drivers.set(definition.name, driver);
    const status = await callRoutine(m, 'DriverEntry', 'DriverEntry', definition.name, null, null, null,
      () => definition.DriverEntry(driver, `\\Registry\\Machine\\System\\CurrentControlSet\\Services\\${definition.name}`));
    if (!NT_SUCCESS(status)) throw new ScenarioError(`DriverEntry of ${definition.name} failed with ${ntStatusName(status)}`);
    const preempted = m.point(m.cost('driverLoad'));
    if (preempted !== undefined) await preempted;
  }
  const bus = new DriverObject('bus', busDispatch(m));
  const pdos = new Map<string, DeviceObject>();
  for (const device of scenario.devices) {
    const hw = hardware.get(device.name)!;
    const pdo = new DeviceObject(device.name, bus, {});
    pdo.HardwareResources = { Vector: device.vector, Irql: device.irql, Registers: hw.Registers };
    pdos.set(device.name, pdo);
    for (const name of device.stack) {
      const driver = drivers.get(name);
      if (driver === undefined) throw new ScenarioError(`device ${device.name} stacks driver "${name}", which the scenario does not define`);
      const addDevice = driver.DriverExtension.AddDevice;
      if (addDevice === null) throw new ScenarioError(`driver ${name} set no DriverExtension.AddDevice in DriverEntry`);
      const status = await callRoutine(m, 'AddDevice', routineName(addDevice), name, pdo, null, null, () => addDevice(driver, pdo));
      if (!NT_SUCCESS(status)) throw new ScenarioError(`AddDevice of ${name} for ${device.name} failed with ${ntStatusName(status)}`);
    }
  }
  return { pdos, drivers: [...drivers.values()] };
}

/**
 * The system thread's work once the workload is done: when every requester thread has ended, each
 * driver that set DriverUnload is unloaded, last loaded first, at PASSIVE_LEVEL in this system
 * thread ("in the system thread context ... while unloading", k:creating-irps-for-lower-level-drivers).
 * A driver's unload routine stops its own threads (signal them, wait on their thread objects); a
 * thread it leaves waiting keeps the run from completing (end reason `stalled`), and any of its
 * code that runs after its unload returned — a thread woken, a DPC, a completion routine — is bug
 * check 0xCE. The model has no PnP removal: Unload is called with the driver's devices still in
 * place, and the driver detaches and deletes them there, as a non-PnP driver's must. Without any
 * DriverUnload nothing happens: the run is what it was before unloading was modelled.
 */
export async function unloadDrivers(m: Machine, drivers: readonly DriverObject[], requesters: readonly Thread[]): Promise<void> {
  for (const d of drivers) {
    if (d.DriverUnload !== null && typeof d.DriverUnload !== 'function') throw new ScenarioError(`driver ${d.DriverName} set DriverUnload to a ${typeof d.DriverUnload}, not a function`);
  }
  const unloading = drivers.filter((d) => d.DriverUnload !== null).reverse();
  if (unloading.length === 0) return;
  const system = m.cpu().thread!;
  for (const requester of requesters) {
    // An internal wait (no event: it is the system, not a driver, that waits here).
    while (requester.object.SignalState === 0) {
      requester.object.waiters.push(system);
      system.waitingOn = requester.object;
      await m.blockThread('waiting');
    }
  }
  for (const driver of unloading) {
    const unload = driver.DriverUnload!;
    await callRoutine(m, 'Unload', routineName(unload), driver.DriverName, null, null, null, async () => { await unload(driver); });
    m.unloaded.add(driver.DriverName);
  }
}

/**
 * A requester thread: issues requests as NtReadFile / NtWriteFile / NtDeviceIoControlFile on a
 * synchronous file object would, one after another, until the workload is exhausted; then, back in
 * user mode, it lets any completion APC still due run.
 */
export function requesterBody(m: Machine, requests: Iterator<IoRequest>, pdos: ReadonlyMap<string, DeviceObject>, defaultDevice: string): () => Promise<void> {
  return async () => {
    for (let next = requests.next(); !next.done; next = requests.next()) {
      const request = next.value;
      if (request.at !== undefined && request.at > m.cpu().clock) await m.sleepUntil(request.at);
      const pdo = pdos.get(request.device ?? defaultDevice);
      if (pdo === undefined) throw new ScenarioError(`a workload request names device "${request.device}", which the scenario does not define`);
      await issue(m, request, IoGetAttachedDevice(pdo));
    }
    const thread = m.cpu().thread!;
    while (thread.outstanding > 0) await m.blockThread('waiting');
  };
}

async function issue(m: Machine, request: IoRequest, top: DeviceObject): Promise<void> {
  const thread = m.cpu().thread!;
  const major = MAJOR_OF[request.major];
  const paging = request.paging === true && request.major !== 'ioctl';
  const event = new KEVENT(`Thread${thread.id}.FileObject.Event`);
  const irp = newIrp(m, top.StackSize, 'IoManager', major, null, (irp) => {
    const next = irp.location(irp.currentLocation - 1)!;
    next.MajorFunction = major;
    if (request.major === 'ioctl') {
      next.Parameters.DeviceIoControl.IoControlCode = request.ioControlCode ?? 0;
      next.Parameters.DeviceIoControl.OutputBufferLength = request.length;
    } else {
      next.Parameters.Read.Length = request.length;
      next.Parameters.Read.ByteOffset = request.offset ?? 0;
    }
    if (paging) irp.flags = IRP_PAGING_IO | IRP_NOCACHE | IRP_SYNCHRONOUS_PAGING_IO;
    else irp.flags = request.major === 'read' ? IRP_READ_OPERATION : request.major === 'write' ? IRP_WRITE_OPERATION : 0;
    if (!paging && ((top.Flags & DO_BUFFERED_IO) !== 0 || request.major === 'ioctl')) {
      irp.flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER | (request.major === 'read' ? IRP_INPUT_OPERATION : 0);
      irp.associated.SystemBuffer = { length: request.length };
    }
    irp.thread = thread;
    irp.UserEvent = event;
    irp.UserIosb = { Status: STATUS_SUCCESS, Information: 0 };
  });
  thread.outstanding++;
  m.em.requestIssued(irp, top.Name, major);
  const preempted = m.point(m.cost('ioManager'));
  if (preempted !== undefined) await preempted;
  // A page fault: the memory manager sends the paging read or write, and waits for it, at APC_LEVEL.
  const old = paging ? raiseIrql(m.em, m.cpu(), APC_LEVEL, 'KeRaiseIrql') : null;
  const status = await IoCallDriver(m, top, irp);
  if (status === STATUS_PENDING) await KeWaitForSingleObject(m, event);
  if (old !== null) lowerIrql(m.em, m.cpu(), old, 'KeLowerIrql');
  // Back to user mode: Windows checks the IRQL on the way out of every system service.
  const ctx = m.cpu().ctx;
  if (ctx.irql !== PASSIVE_LEVEL) m.bugcheck('IRQL_GT_ZERO_AT_SYSTEM_SERVICE', { irql: ctx.irql, thread: thread.id });
  const preemptedAtExit = m.point(m.cost('ioManager'));
  if (preemptedAtExit !== undefined) await preemptedAtExit;
}
