import type { IrpId, NtStatus } from '../brands.js';
import { STATUS_SUCCESS } from '../constants/ntstatus.js';
import type { IrpAllocationApi } from '../events/irp.js';
import type { Thread } from '../kernel/thread.js';
import type { DeviceObject } from './device.js';
import type { KEVENT } from './kevent.js';

/** IoCompletion(DeviceObject, Irp, Context): return STATUS_MORE_PROCESSING_REQUIRED to stop the walk. */
export type PIO_COMPLETION_ROUTINE = (DeviceObject: DeviceObject | null, Irp: Irp, Context: any) => Promise<NtStatus> | NtStatus;
/** DriverCancel(DeviceObject, Irp): called with the cancel spin lock held. */
export type PDRIVER_CANCEL = (DeviceObject: DeviceObject, Irp: Irp) => Promise<void> | void;

/** IO_STATUS_BLOCK. */
export interface IO_STATUS_BLOCK {
  Status: NtStatus;
  Information: number;
}

/** Read/Write share one record, as the C union's Read and Write members do. */
export interface ReadWriteParameters { Length: number; ByteOffset: number }
export interface DeviceIoControlParameters { IoControlCode: number; InputBufferLength: number; OutputBufferLength: number }
export interface IoStackParameters {
  readonly Read: ReadWriteParameters;
  readonly Write: ReadWriteParameters;
  readonly DeviceIoControl: DeviceIoControlParameters;
}

function makeParameters(from?: IoStackParameters): IoStackParameters {
  const rw: ReadWriteParameters = { Length: from?.Read.Length ?? 0, ByteOffset: from?.Read.ByteOffset ?? 0 };
  const ioctl = from?.DeviceIoControl;
  return {
    Read: rw, Write: rw,
    DeviceIoControl: { IoControlCode: ioctl?.IoControlCode ?? 0, InputBufferLength: ioctl?.InputBufferLength ?? 0, OutputBufferLength: ioctl?.OutputBufferLength ?? 0 },
  };
}

/** IO_STACK_LOCATION: one driver's view of the request. */
export class IO_STACK_LOCATION {
  MajorFunction = 0;
  MinorFunction = 0;
  Flags = 0;
  Control = 0;
  /** @internal made on first use: most locations of most IRPs are never read */
  private parameters: IoStackParameters | null = null;
  DeviceObject: DeviceObject | null = null;
  FileObject: unknown = null;
  CompletionRoutine: PIO_COMPLETION_ROUTINE | null = null;
  Context: unknown = null;
  /** @internal the driver that registered CompletionRoutine (for the trace) */
  completionDriver: string | null = null;

  get Parameters(): IoStackParameters {
    return (this.parameters ??= makeParameters());
  }
  set Parameters(value: IoStackParameters) {
    this.parameters = value;
  }

  /** IoCopyCurrentIrpStackLocationToNext: everything up to (not including) CompletionRoutine; Control = 0. */
  copyTo(next: IO_STACK_LOCATION): void {
    next.MajorFunction = this.MajorFunction;
    next.MinorFunction = this.MinorFunction;
    next.Flags = this.Flags;
    next.parameters = this.parameters === null ? null : makeParameters(this.parameters);
    next.DeviceObject = this.DeviceObject;
    next.FileObject = this.FileObject;
    next.Control = 0;
  }

  /**
   * IoInitializeIrp's zeroing of the location, in place: a pointer a driver kept to it (from
   * IoGetNextIrpStackLocation) still points at the same, now zeroed, location, as in C.
   */
  zero(): void {
    this.MajorFunction = 0;
    this.MinorFunction = 0;
    this.Flags = 0;
    const p = this.parameters;
    if (p !== null) {
      p.Read.Length = 0;
      p.Read.ByteOffset = 0;
      p.Write.Length = 0;
      p.Write.ByteOffset = 0;
      p.DeviceIoControl.IoControlCode = 0;
      p.DeviceIoControl.InputBufferLength = 0;
      p.DeviceIoControl.OutputBufferLength = 0;
    }
    this.DeviceObject = null;
    this.FileObject = null;
    this.clearForWalk();
  }

  /** IopClearStackLocation, as the completion walk does: the control bits and the completion fields. */
  clearForWalk(): void {
    this.Control = 0;
    this.CompletionRoutine = null;
    this.Context = null;
    this.completionDriver = null;
  }
}

/** Where an IRP is in its life, as the simulator tracks it (windows-semantics.md §3.10). */
export type IrpPhase = 'allocated' | 'dispatched' | 'completing' | 'reclaimed' | 'completed' | 'freed';

/** Irp.Tail.Overlay. */
export interface IrpOverlay {
  Thread: Thread | null;
  readonly CurrentStackLocation: IO_STACK_LOCATION | undefined;
}

/** The machine's view of an IRP's fields being touched after it was released. */
export interface IrpAccessObserver {
  irpAccessed(irp: Irp, field: string): void;
  irpCountSet(master: Irp, count: number): void;
}

/**
 * The AssociatedIrp union: MasterIrp for an associated IRP, IrpCount for a master, SystemBuffer for
 * buffered I/O. Setting IrpCount is how a highest-level driver tells the I/O manager how many
 * associated IRPs to wait for (IoMakeAssociatedIrp leaves it alone); the model records each write.
 */
export class AssociatedIrpUnion {
  MasterIrp: Irp | null = null;
  SystemBuffer: unknown = null;
  /** @internal */
  irpCount = 0;
  constructor(private readonly owner: Irp) {}
  get IrpCount(): number {
    return this.irpCount;
  }
  set IrpCount(value: number) {
    this.irpCount = value;
    this.owner.observer.irpCountSet(this.owner, value);
  }
}

/**
 * An I/O request packet. PascalCase members are the WDM fields a driver may touch; reading one
 * after the IRP's completion walk finished, or after it was freed, is recorded as IrpAccessed.
 * camelCase members are the simulator's own bookkeeping.
 */
export class Irp {
  readonly Type = 6;
  /** @internal 1-based current location (CL); StackCount+1 for a new IRP */
  currentLocation: number;
  /** @internal locations 1..StackCount at index 0..StackCount-1, plus a phantom "one past the end" */
  readonly stack: IO_STACK_LOCATION[];
  /** @internal */
  ioStatus: IO_STATUS_BLOCK = { Status: STATUS_SUCCESS, Information: 0 };
  /** @internal */
  pendingReturned = false;
  /** @internal */
  cancel = false;
  CancelIrql = 0;
  /** @internal */
  cancelRoutine: PDRIVER_CANCEL | null = null;
  /** @internal */
  flags = 0;
  /** @internal */
  readonly associated: AssociatedIrpUnion;
  /** @internal Tail.Overlay.Thread: the thread the I/O manager completes it to (null: none) */
  thread: Thread | null = null;
  UserEvent: KEVENT | null = null;
  UserIosb: IO_STATUS_BLOCK | null = null;
  MdlAddress: unknown = null;
  UserBuffer: unknown = null;
  /** @internal */
  phase: IrpPhase = 'allocated';
  /** @internal the device of the last IoCallDriver */
  lastDevice: DeviceObject | null = null;

  constructor(
    readonly id: IrpId,
    readonly StackCount: number,
    /** @internal which API created it */
    readonly api: IrpAllocationApi,
    /** @internal */
    readonly observer: IrpAccessObserver,
  ) {
    this.currentLocation = StackCount + 1;
    // A plain loop: Array.from with a map function goes through the generic iteration protocol.
    const stack: IO_STACK_LOCATION[] = [];
    for (let i = 0; i <= StackCount; i++) stack.push(new IO_STACK_LOCATION());
    this.stack = stack;
    this.associated = new AssociatedIrpUnion(this);
  }

  /**
   * @internal IoReuseIrp's effect (ROS:irp.c#IoReuseIrp): IoInitializeIrp zeroes the whole IRP and
   * sets CurrentLocation = StackCount + 1 — every location, the flags, the thread, the user event
   * and status block, the cancel state and the AssociatedIrp union (MasterIrp, IrpCount,
   * SystemBuffer) — then IoStatus.Status = `status`. Only the allocation (`api`) survives; the IRP
   * is the caller's again (phase `allocated`).
   */
  reinitialize(status: NtStatus): void {
    this.currentLocation = this.StackCount + 1;
    for (const location of this.stack) location.zero();
    // In place, as the C struct is: a driver may hold Irp.IoStatus.
    this.ioStatus.Status = status;
    this.ioStatus.Information = 0;
    this.pendingReturned = false;
    this.cancel = false;
    this.CancelIrql = 0;
    this.cancelRoutine = null;
    this.flags = 0;
    this.associated.MasterIrp = null;
    this.associated.SystemBuffer = null;
    this.associated.irpCount = 0;
    this.thread = null;
    this.UserEvent = null;
    this.UserIosb = null;
    this.MdlAddress = null;
    this.UserBuffer = null;
    this.lastDevice = null;
    this.phase = 'allocated';
  }

  /** @internal the location at 1-based index `loc`, or undefined outside 1..StackCount+1 */
  location(loc: number): IO_STACK_LOCATION | undefined {
    return loc >= 1 ? this.stack[loc - 1] : undefined;
  }

  /** @internal true once driver code may no longer touch it */
  get released(): boolean {
    return this.phase === 'completed' || this.phase === 'freed';
  }

  private touch(field: string): void {
    if (this.phase === 'completed' || this.phase === 'freed') this.observer.irpAccessed(this, field);
  }

  get IoStatus(): IO_STATUS_BLOCK { this.touch('IoStatus'); return this.ioStatus; }
  set IoStatus(value: IO_STATUS_BLOCK) { this.touch('IoStatus'); this.ioStatus = value; }
  get PendingReturned(): boolean { this.touch('PendingReturned'); return this.pendingReturned; }
  get Cancel(): boolean { this.touch('Cancel'); return this.cancel; }
  get CancelRoutine(): PDRIVER_CANCEL | null { this.touch('CancelRoutine'); return this.cancelRoutine; }
  get Flags(): number { this.touch('Flags'); return this.flags; }
  set Flags(value: number) { this.touch('Flags'); this.flags = value; }
  get AssociatedIrp(): AssociatedIrpUnion { this.touch('AssociatedIrp'); return this.associated; }
  get CurrentLocation(): number { this.touch('CurrentLocation'); return this.currentLocation; }
  /** Tail.Overlay: Thread is writable (a driver copies it into the IRPs it allocates); CurrentStackLocation is not. */
  get Tail(): { readonly Overlay: IrpOverlay } {
    this.touch('Tail');
    const irp = this;
    return {
      Overlay: {
        get Thread() { return irp.thread; },
        set Thread(thread: Thread | null) { irp.thread = thread; },
        get CurrentStackLocation() { return irp.location(irp.currentLocation); },
      },
    };
  }
}
