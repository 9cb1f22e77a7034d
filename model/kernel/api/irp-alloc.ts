import type { NtStatus } from '../../brands.js';
import {
  IRP_ASSOCIATED_IRP, IRP_BUFFERED_IO, IRP_DEALLOCATE_BUFFER, IRP_INPUT_OPERATION, IRP_MJ_DEVICE_CONTROL, IRP_MJ_INTERNAL_DEVICE_CONTROL,
  IRP_MJ_READ, IRP_MJ_WRITE, IRP_READ_OPERATION, IRP_SYNCHRONOUS_API, IRP_WRITE_OPERATION, METHOD_BUFFERED, METHOD_NEITHER,
} from '../../constants/irp.js';
import type { IrpAllocationApi } from '../../events/irp.js';
import type { DeviceObject } from '../../wdm/device.js';
import { Irp, type IO_STATUS_BLOCK } from '../../wdm/irp.js';
import type { KEVENT } from '../../wdm/kevent.js';
import type { Machine } from '../machine.js';
import { afterPoint } from './after-point.js';

/** Creates an IRP and records it; the one place IRPs are born. */
export function newIrp(m: Machine, stackSize: number, api: IrpAllocationApi, major: number | null, master: Irp | null, setup?: (irp: Irp) => void): Irp {
  const irp = new Irp(m.newIrpId(), stackSize, api, m);
  setup?.(irp);
  m.irps.set(irp.id, irp);
  m.em.irpAllocated(irp, api, major, master);
  return irp;
}

/**
 * IoAllocateIrp(StackSize, ChargeQuota): zeroed locations, CurrentLocation = StackSize + 1 (the
 * creator has no location of its own), no thread. The allocator must set a completion routine and
 * free the IRP with IoFreeIrp, never complete it to the top.
 */
export function IoAllocateIrp(m: Machine, StackSize: number, _ChargeQuota = false): Irp | Promise<Irp> {
  m.enter('IoAllocateIrp');
  const irp = newIrp(m, StackSize, 'IoAllocateIrp', null, null);
  return afterPoint(m.point(m.cost('irpAlloc')), irp);
}

function buildFsd(m: Machine, api: IrpAllocationApi, MajorFunction: number, DeviceObject: DeviceObject, Length: number, StartingOffset: number,
  IoStatusBlock: IO_STATUS_BLOCK | null, Event: KEVENT | null): Irp | null {
  const thread = m.cpu().thread;
  return newIrp(m, DeviceObject.StackSize, api, MajorFunction, null, (irp) => {
    const next = irp.location(irp.currentLocation - 1)!;
    next.MajorFunction = MajorFunction;
    next.Parameters.Read.Length = Length;
    next.Parameters.Read.ByteOffset = StartingOffset;
    irp.flags = MajorFunction === IRP_MJ_READ ? IRP_READ_OPERATION : MajorFunction === IRP_MJ_WRITE ? IRP_WRITE_OPERATION : 0;
    if (Event !== null) irp.flags |= IRP_SYNCHRONOUS_API;
    irp.thread = thread;
    irp.UserIosb = IoStatusBlock;
    irp.UserEvent = Event;
  });
}

/**
 * IoBuildAsynchronousFsdRequest(MajorFunction, DeviceObject, Buffer, Length, StartingOffset,
 * IoStatusBlock), with the next-lower location set up. The caller sets a completion routine and
 * frees it. The DDI lists IRP_MJ_PNP, READ, WRITE, FLUSH_BUFFERS and SHUTDOWN; as in ReactOS,
 * another major function is not refused (the IRP is built, and IrpAllocated records its major).
 */
export function IoBuildAsynchronousFsdRequest(m: Machine, MajorFunction: number, DeviceObject: DeviceObject, _Buffer: unknown, Length: number,
  StartingOffset: number, IoStatusBlock: IO_STATUS_BLOCK | null = null): Irp | null | Promise<Irp | null> {
  m.enter('IoBuildAsynchronousFsdRequest');
  const irp = buildFsd(m, 'IoBuildAsynchronousFsdRequest', MajorFunction, DeviceObject, Length, StartingOffset, IoStatusBlock, null);
  return afterPoint(m.point(m.cost('irpAlloc')), irp);
}

/**
 * IoBuildSynchronousFsdRequest(MajorFunction, DeviceObject, Buffer, Length, StartingOffset, Event,
 * IoStatusBlock): queued to the calling thread; the I/O manager sets Event and frees the IRP when
 * it is completed. Never IoFreeIrp it; wait on Event when IoCallDriver returns STATUS_PENDING.
 */
export function IoBuildSynchronousFsdRequest(m: Machine, MajorFunction: number, DeviceObject: DeviceObject, _Buffer: unknown, Length: number,
  StartingOffset: number, Event: KEVENT, IoStatusBlock: IO_STATUS_BLOCK): Irp | null | Promise<Irp | null> {
  m.enter('IoBuildSynchronousFsdRequest');
  const irp = buildFsd(m, 'IoBuildSynchronousFsdRequest', MajorFunction, DeviceObject, Length, StartingOffset, IoStatusBlock, Event);
  return afterPoint(m.point(m.cost('irpAlloc')), irp);
}

/**
 * IoBuildDeviceIoControlRequest(IoControlCode, DeviceObject, InputBuffer, InputBufferLength,
 * OutputBuffer, OutputBufferLength, InternalDeviceIoControl, Event, IoStatusBlock): the same
 * thread-queued synchronous model as IoBuildSynchronousFsdRequest. As in ReactOS, the code's
 * transfer type decides the buffering: METHOD_BUFFERED with a buffer length, or a direct method
 * with an input buffer, gets a system buffer (IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER, and
 * IRP_INPUT_OPERATION for METHOD_BUFFERED with an output buffer).
 */
export function IoBuildDeviceIoControlRequest(m: Machine, IoControlCode: number, DeviceObject: DeviceObject, InputBuffer: unknown, InputBufferLength: number,
  OutputBuffer: unknown, OutputBufferLength: number, InternalDeviceIoControl: boolean, Event: KEVENT, IoStatusBlock: IO_STATUS_BLOCK): Irp | Promise<Irp> {
  m.enter('IoBuildDeviceIoControlRequest');
  const major = InternalDeviceIoControl ? IRP_MJ_INTERNAL_DEVICE_CONTROL : IRP_MJ_DEVICE_CONTROL;
  const thread = m.cpu().thread;
  const irp = newIrp(m, DeviceObject.StackSize, 'IoBuildDeviceIoControlRequest', major, null, (irp) => {
    const next = irp.location(irp.currentLocation - 1)!;
    next.MajorFunction = major;
    next.Parameters.DeviceIoControl.IoControlCode = IoControlCode;
    next.Parameters.DeviceIoControl.InputBufferLength = InputBufferLength;
    next.Parameters.DeviceIoControl.OutputBufferLength = OutputBufferLength;
    irp.flags = IRP_SYNCHRONOUS_API;
    const method = IoControlCode & 3;
    const systemBuffer = method === METHOD_BUFFERED ? Math.max(InputBufferLength, OutputBufferLength)
      : method !== METHOD_NEITHER && InputBuffer !== null && InputBuffer !== undefined ? InputBufferLength : 0;
    if (systemBuffer > 0) {
      irp.flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
      if (method === METHOD_BUFFERED && OutputBuffer !== null && OutputBuffer !== undefined) irp.flags |= IRP_INPUT_OPERATION;
      irp.associated.SystemBuffer = { length: systemBuffer };
    }
    irp.thread = thread;
    irp.UserIosb = IoStatusBlock;
    irp.UserEvent = Event;
  });
  return afterPoint(m.point(m.cost('irpAlloc')), irp);
}

/**
 * IoMakeAssociatedIrp(Irp, StackSize): an IRP associated with the master `Irp` (flag
 * IRP_ASSOCIATED_IRP, the master's thread). As in ReactOS it does not touch the master's IrpCount:
 * the caller sets Irp.AssociatedIrp.IrpCount. Highest-level drivers only, never for buffered I/O.
 */
export function IoMakeAssociatedIrp(m: Machine, Irp: Irp, StackSize: number): Irp | Promise<Irp> {
  m.enter('IoMakeAssociatedIrp');
  const master = Irp;
  const irp = newIrp(m, StackSize, 'IoMakeAssociatedIrp', null, master, (irp) => {
    irp.flags = IRP_ASSOCIATED_IRP;
    irp.associated.MasterIrp = master;
    irp.thread = master.thread;
  });
  return afterPoint(m.point(m.cost('irpAlloc')), irp);
}

/**
 * IoReuseIrp(Irp, Iostatus): reinitialises an IRP for reuse, as IoInitializeIrp leaves a new one,
 * with IoStatus.Status = Iostatus (Irp.reinitialize). The docs allow it only on IRPs the caller
 * allocated with IoAllocateIrp, and only once it owns the IRP again (its completion routine
 * returned STATUS_MORE_PROCESSING_REQUIRED, or it never sent it): as in ReactOS, neither is
 * checked here — the IRP is reinitialised whatever it is, and the rules ReuseIrpWrongKind and
 * ReuseIrpInUse find the misuse in the trace. An IRP whose completion walk finished, or that was
 * freed, is not brought back: the write to memory the driver no longer owns is recorded
 * (IrpAccessed, rule UseAfterRelease).
 */
export function IoReuseIrp(m: Machine, Irp: Irp, Iostatus: NtStatus): void | Promise<void> {
  m.enter('IoReuseIrp');
  if (Irp.released) {
    m.irpAccessed(Irp, 'IoReuseIrp');
  } else {
    Irp.reinitialize(Iostatus);
    m.em.irpReused(Irp, Iostatus);
  }
  return m.point(m.cost('irpAlloc'));
}

/** IoFreeIrp(Irp). Freeing an IRP twice corrupts pool: BAD_POOL_CALLER. */
export function IoFreeIrp(m: Machine, Irp: Irp): void | Promise<void> {
  m.enter('IoFreeIrp');
  freeIrp(m, Irp, 'IoFreeIrp');
  return m.point(m.cost('irpFree'));
}

/** Frees an IRP for a driver or for the I/O manager. */
export function freeIrp(m: Machine, irp: Irp, api: 'IoFreeIrp' | 'IoManager'): void {
  if (irp.phase === 'freed') m.bugcheck('BAD_POOL_CALLER', { irp: irp.id, reason: 'IRP freed twice' });
  irp.phase = 'freed';
  m.irps.delete(irp.id);
  m.em.irpFreed(irp, api);
}

export type { NtStatus };
