import type { Irql, NtStatus } from '../brands.js';
import { SYNCH_LEVEL } from '../constants/irql.js';
import type { DeviceObject, DriverObject } from '../wdm/device.js';
import type { KDPC, KDPC_IMPORTANCE, PIO_DPC_ROUTINE, PKDEFERRED_ROUTINE } from '../wdm/dpc.js';
import type { KINTERRUPT, KINTERRUPT_MODE, PKSERVICE_ROUTINE, PKSYNCHRONIZE_ROUTINE } from '../wdm/interrupt.js';
import type { IO_STACK_LOCATION, IO_STATUS_BLOCK, Irp, PDRIVER_CANCEL, PIO_COMPLETION_ROUTINE } from '../wdm/irp.js';
import { KEVENT, type EVENT_TYPE } from '../wdm/kevent.js';
import type { DispatcherObject, KTHREAD, PKSTART_ROUTINE } from '../wdm/kthread.js';
import type { KSPIN_LOCK } from '../wdm/spin-lock.js';
import * as cancel from './api/cancel.js';
import * as device from './api/device.js';
import * as hardError from './api/hard-error.js';
import * as dpc from './api/dpc.js';
import * as interrupt from './api/interrupt.js';
import * as call from './api/io-call.js';
import * as complete from './api/io-complete.js';
import * as alloc from './api/irp-alloc.js';
import * as stack from './api/irp-stack.js';
import * as irql from './api/irql.js';
import * as startIo from './api/start-io.js';
import * as thread from './api/thread.js';
import * as wait from './api/wait.js';
import { KDPC as KDPCClass } from '../wdm/dpc.js';
import type { DeviceRegister } from './hardware.js';
import type { Machine } from './machine.js';

/**
 * The kernel API a scenario's drivers call, under its WDM names: `k.IoCallDriver(DeviceObject, Irp)`,
 * `k.IoCompleteRequest(Irp, IO_NO_INCREMENT)`, …
 *
 * Calls that are preemption points return a value or a Promise of it: always `await` them (awaiting a
 * plain value costs nothing). Out parameters become return values (KeRaiseIrql returns OldIrql;
 * IoConnectInterrupt and IoCreateDevice return `{ status, … }`). The wdm.h macros
 * (IoGetCurrentIrpStackLocation, IoMarkIrpPending, IoSetCompletionRoutine, …) are synchronous.
 */
export class Kernel {
  /** @internal */
  constructor(private readonly m: Machine) {}

  // ---- IRQL and spin locks ----
  KeGetCurrentIrql(): Irql { return this.m.cpu().ctx.irql; }
  KeGetCurrentProcessorNumber(): number { return this.m.cpu().id; }
  KeRaiseIrql(NewIrql: Irql): Irql | Promise<Irql> { return irql.KeRaiseIrql(this.m, NewIrql); }
  KeRaiseIrqlToDpcLevel(): Irql | Promise<Irql> { return irql.KeRaiseIrql(this.m, 2, 'KeRaiseIrqlToDpcLevel'); }
  /** SYNCH_LEVEL is 12 on x64 (windows-semantics.md §1: ROS KeRaiseIrqlToSynchLevel, "IPI_LEVEL - 2"). */
  KeRaiseIrqlToSynchLevel(): Irql | Promise<Irql> { return irql.KeRaiseIrql(this.m, SYNCH_LEVEL, 'KeRaiseIrqlToSynchLevel'); }
  KeLowerIrql(NewIrql: Irql): void | Promise<void> { return irql.KeLowerIrql(this.m, NewIrql); }
  KeInitializeSpinLock(Name: string): KSPIN_LOCK { return irql.KeInitializeSpinLock(Name); }
  KeAcquireSpinLock(SpinLock: KSPIN_LOCK): Promise<Irql> { return irql.KeAcquireSpinLock(this.m, SpinLock); }
  KeReleaseSpinLock(SpinLock: KSPIN_LOCK, NewIrql: Irql): void | Promise<void> { return irql.KeReleaseSpinLock(this.m, SpinLock, NewIrql); }
  KeAcquireSpinLockAtDpcLevel(SpinLock: KSPIN_LOCK): Promise<void> { return irql.KeAcquireSpinLockAtDpcLevel(this.m, SpinLock); }
  KeReleaseSpinLockFromDpcLevel(SpinLock: KSPIN_LOCK): void | Promise<void> { return irql.KeReleaseSpinLockFromDpcLevel(this.m, SpinLock); }
  /** For a threaded DPC: raises to DISPATCH_LEVEL only when called below it; returns the IRQL it was called at. */
  KeAcquireSpinLockForDpc(SpinLock: KSPIN_LOCK): Promise<Irql> { return irql.KeAcquireSpinLockForDpc(this.m, SpinLock); }
  KeReleaseSpinLockForDpc(SpinLock: KSPIN_LOCK, OldIrql: Irql): void | Promise<void> { return irql.KeReleaseSpinLockForDpc(this.m, SpinLock, OldIrql); }
  KeStallExecutionProcessor(MicroSeconds: number): void | Promise<void> { return irql.KeStallExecutionProcessor(this.m, MicroSeconds); }

  // ---- DPCs ----
  /** A new DPC object (the storage a driver would embed in its extension). */
  KDPC(Name: string): KDPC { return new KDPCClass(Name); }
  KeInitializeDpc(Dpc: KDPC, DeferredRoutine: PKDEFERRED_ROUTINE, DeferredContext: unknown): void { dpc.KeInitializeDpc(this.m, Dpc, DeferredRoutine, DeferredContext); }
  KeInitializeThreadedDpc(Dpc: KDPC, DeferredRoutine: PKDEFERRED_ROUTINE, DeferredContext: unknown): void { dpc.KeInitializeThreadedDpc(this.m, Dpc, DeferredRoutine, DeferredContext); }
  KeSetImportanceDpc(Dpc: KDPC, Importance: KDPC_IMPORTANCE): void { dpc.KeSetImportanceDpc(Dpc, Importance); }
  KeSetTargetProcessorDpc(Dpc: KDPC, Number: number): void { dpc.KeSetTargetProcessorDpc(this.m, Dpc, Number); }
  KeInsertQueueDpc(Dpc: KDPC, SystemArgument1: unknown, SystemArgument2: unknown): boolean | Promise<boolean> { return dpc.KeInsertQueueDpc(this.m, Dpc, SystemArgument1, SystemArgument2); }
  KeRemoveQueueDpc(Dpc: KDPC): boolean | Promise<boolean> { return dpc.KeRemoveQueueDpc(this.m, Dpc); }
  IoInitializeDpcRequest(DeviceObject: DeviceObject, DpcRoutine: PIO_DPC_ROUTINE): void { dpc.IoInitializeDpcRequest(this.m, DeviceObject, DpcRoutine); }
  IoRequestDpc(DeviceObject: DeviceObject, Irp: Irp | null, Context: unknown): void | Promise<void> { return dpc.IoRequestDpc(this.m, DeviceObject, Irp, Context); }

  // ---- interrupts and device registers ----
  IoConnectInterrupt(ServiceRoutine: PKSERVICE_ROUTINE, ServiceContext: unknown, SpinLock: KSPIN_LOCK | null, Vector: number, Irql: Irql,
    SynchronizeIrql: Irql, InterruptMode?: KINTERRUPT_MODE, ShareVector?: boolean, ProcessorEnableMask?: number, FloatingSave?: boolean): { status: NtStatus; InterruptObject: KINTERRUPT | null } {
    return interrupt.IoConnectInterrupt(this.m, ServiceRoutine, ServiceContext, SpinLock, Vector, Irql, SynchronizeIrql, InterruptMode, ShareVector, ProcessorEnableMask, FloatingSave);
  }
  IoDisconnectInterrupt(InterruptObject: KINTERRUPT): void { interrupt.IoDisconnectInterrupt(this.m, InterruptObject); }
  KeSynchronizeExecution(Interrupt: KINTERRUPT, SynchronizeRoutine: PKSYNCHRONIZE_ROUTINE, SynchronizeContext: unknown): Promise<boolean> {
    return interrupt.KeSynchronizeExecution(this.m, Interrupt, SynchronizeRoutine, SynchronizeContext);
  }
  READ_REGISTER_ULONG(Register: DeviceRegister): number | Promise<number> { return interrupt.READ_REGISTER_ULONG(this.m, Register); }
  WRITE_REGISTER_ULONG(Register: DeviceRegister, Value: number): void | Promise<void> { return interrupt.WRITE_REGISTER_ULONG(this.m, Register, Value); }

  // ---- devices ----
  IoCreateDevice<T extends object>(DriverObject: DriverObject, DeviceExtension: T, DeviceName?: string | null): { status: NtStatus; DeviceObject: DeviceObject<T> } {
    return device.IoCreateDevice(DriverObject, DeviceExtension, DeviceName ?? null);
  }
  IoAttachDeviceToDeviceStack(SourceDevice: DeviceObject, TargetDevice: DeviceObject): DeviceObject { return device.IoAttachDeviceToDeviceStack(SourceDevice, TargetDevice); }
  IoGetAttachedDevice(DeviceObject: DeviceObject): DeviceObject { return device.IoGetAttachedDevice(DeviceObject); }
  IoDetachDevice(TargetDevice: DeviceObject): void { device.IoDetachDevice(TargetDevice); }
  IoDeleteDevice(DeviceObject: DeviceObject): void { device.IoDeleteDevice(DeviceObject); }

  // ---- IRPs: creation and freeing ----
  IoAllocateIrp(StackSize: number, ChargeQuota = false): Irp | Promise<Irp> { return alloc.IoAllocateIrp(this.m, StackSize, ChargeQuota); }
  IoBuildAsynchronousFsdRequest(MajorFunction: number, DeviceObject: DeviceObject, Buffer: unknown, Length: number, StartingOffset: number,
    IoStatusBlock: IO_STATUS_BLOCK | null = null): Irp | null | Promise<Irp | null> {
    return alloc.IoBuildAsynchronousFsdRequest(this.m, MajorFunction, DeviceObject, Buffer, Length, StartingOffset, IoStatusBlock);
  }
  IoBuildSynchronousFsdRequest(MajorFunction: number, DeviceObject: DeviceObject, Buffer: unknown, Length: number, StartingOffset: number,
    Event: KEVENT, IoStatusBlock: IO_STATUS_BLOCK): Irp | null | Promise<Irp | null> {
    return alloc.IoBuildSynchronousFsdRequest(this.m, MajorFunction, DeviceObject, Buffer, Length, StartingOffset, Event, IoStatusBlock);
  }
  IoBuildDeviceIoControlRequest(IoControlCode: number, DeviceObject: DeviceObject, InputBuffer: unknown, InputBufferLength: number, OutputBuffer: unknown,
    OutputBufferLength: number, InternalDeviceIoControl: boolean, Event: KEVENT, IoStatusBlock: IO_STATUS_BLOCK): Irp | Promise<Irp> {
    return alloc.IoBuildDeviceIoControlRequest(this.m, IoControlCode, DeviceObject, InputBuffer, InputBufferLength, OutputBuffer, OutputBufferLength,
      InternalDeviceIoControl, Event, IoStatusBlock);
  }
  IoMakeAssociatedIrp(Irp: Irp, StackSize: number): Irp | Promise<Irp> { return alloc.IoMakeAssociatedIrp(this.m, Irp, StackSize); }
  IoFreeIrp(Irp: Irp): void | Promise<void> { return alloc.IoFreeIrp(this.m, Irp); }
  IoReuseIrp(Irp: Irp, Iostatus: NtStatus): void | Promise<void> { return alloc.IoReuseIrp(this.m, Irp, Iostatus); }

  // ---- IRPs: stack locations (wdm.h macros) ----
  IoGetCurrentIrpStackLocation(Irp: Irp): IO_STACK_LOCATION { return stack.IoGetCurrentIrpStackLocation(this.m, Irp); }
  IoGetNextIrpStackLocation(Irp: Irp): IO_STACK_LOCATION { return stack.IoGetNextIrpStackLocation(this.m, Irp); }
  IoSetNextIrpStackLocation(Irp: Irp): void { stack.IoSetNextIrpStackLocation(this.m, Irp); }
  IoSkipCurrentIrpStackLocation(Irp: Irp): void { stack.IoSkipCurrentIrpStackLocation(this.m, Irp); }
  IoCopyCurrentIrpStackLocationToNext(Irp: Irp): void { stack.IoCopyCurrentIrpStackLocationToNext(this.m, Irp); }
  IoMarkIrpPending(Irp: Irp): void { stack.IoMarkIrpPending(this.m, Irp); }
  IoSetCompletionRoutine(Irp: Irp, CompletionRoutine: PIO_COMPLETION_ROUTINE, Context: unknown, InvokeOnSuccess: boolean, InvokeOnError: boolean, InvokeOnCancel: boolean): void {
    stack.IoSetCompletionRoutine(this.m, Irp, CompletionRoutine, Context, InvokeOnSuccess, InvokeOnError, InvokeOnCancel);
  }

  // ---- IRPs: passing down, completing, cancelling, queuing ----
  IoCallDriver(DeviceObject: DeviceObject, Irp: Irp): Promise<NtStatus> { return call.IoCallDriver(this.m, DeviceObject, Irp); }
  IoCompleteRequest(Irp: Irp, PriorityBoost = 0): Promise<void> { return complete.IoCompleteRequest(this.m, Irp, PriorityBoost); }
  IoSetCancelRoutine(Irp: Irp, CancelRoutine: PDRIVER_CANCEL | null): PDRIVER_CANCEL | null { return cancel.IoSetCancelRoutine(this.m, Irp, CancelRoutine); }
  IoCancelIrp(Irp: Irp): Promise<boolean> { return cancel.IoCancelIrp(this.m, Irp); }
  IoAcquireCancelSpinLock(): Promise<Irql> { return cancel.IoAcquireCancelSpinLock(this.m); }
  IoReleaseCancelSpinLock(Irql: Irql): void | Promise<void> { return cancel.IoReleaseCancelSpinLock(this.m, Irql); }
  IoStartPacket(DeviceObject: DeviceObject, Irp: Irp, Key: number | null = null, CancelFunction: PDRIVER_CANCEL | null = null): Promise<void> {
    return startIo.IoStartPacket(this.m, DeviceObject, Irp, Key, CancelFunction);
  }
  IoStartNextPacket(DeviceObject: DeviceObject, Cancelable = false): Promise<void> { return startIo.IoStartNextPacket(this.m, DeviceObject, Cancelable); }
  /** IoSetHardErrorOrVerifyDevice: the IRP must carry its thread (Tail.Overlay.Thread), or the call bug-checks. */
  IoSetHardErrorOrVerifyDevice(Irp: Irp, DeviceObject: DeviceObject): void { hardError.IoSetHardErrorOrVerifyDevice(this.m, Irp, DeviceObject); }

  // ---- events and waits ----
  /** A new event object (the storage a driver would declare). */
  KEVENT(Name: string): KEVENT { return new KEVENT(Name); }
  KeInitializeEvent(Event: KEVENT, Type: EVENT_TYPE, State: boolean): void { wait.KeInitializeEvent(Event, Type, State); }
  KeSetEvent(Event: KEVENT, Increment = 0, Wait = false): number | Promise<number> { return wait.KeSetEvent(this.m, Event, Increment, Wait); }
  KeClearEvent(Event: KEVENT): void { wait.KeClearEvent(Event); }
  KeResetEvent(Event: KEVENT): number { return wait.KeResetEvent(Event); }
  KeReadStateEvent(Event: KEVENT): number { return wait.KeReadStateEvent(Event); }
  KeWaitForSingleObject(Object: DispatcherObject, WaitReason = 'Executive', WaitMode = 'KernelMode', Alertable = false, Timeout: number | null = null): Promise<NtStatus> {
    return wait.KeWaitForSingleObject(this.m, Object, WaitReason, WaitMode, Alertable, Timeout);
  }

  // ---- system threads ----
  /** PsCreateSystemThread: `{ status, Thread }`, the thread object (as ObReferenceObjectByHandle gives it), waitable until the thread ends. */
  PsCreateSystemThread(StartRoutine: PKSTART_ROUTINE, StartContext: unknown): { status: NtStatus; Thread: KTHREAD } | Promise<{ status: NtStatus; Thread: KTHREAD }> {
    return thread.PsCreateSystemThread(this.m, StartRoutine, StartContext);
  }
  /** PsTerminateSystemThread: does not return when called by a driver's system thread from its StartRoutine. */
  PsTerminateSystemThread(ExitStatus: NtStatus): NtStatus { return thread.PsTerminateSystemThread(this.m, ExitStatus); }
}
