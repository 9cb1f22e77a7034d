import type { IrpId, NtStatus } from '../brands.js';
import { companion, type TraceEventOf } from './envelope.js';

/** How an IRP came to be: the creating API, or the I/O manager for workload requests. */
export type IrpAllocationApi =
  | 'IoAllocateIrp' | 'IoBuildAsynchronousFsdRequest' | 'IoBuildSynchronousFsdRequest'
  | 'IoBuildDeviceIoControlRequest' | 'IoMakeAssociatedIrp' | 'IoManager';

/** detail: stackCount, flags. */
export type IrpAllocated = TraceEventOf<'IrpAllocated', { irp: IrpId; loc: number; api: IrpAllocationApi; detail: string }>;
export const IrpAllocated = companion<IrpAllocated>('IrpAllocated');

export type IrpStackLocationChanged = TraceEventOf<'IrpStackLocationChanged', {
  irp: IrpId; loc: number; api: 'IoSkipCurrentIrpStackLocation' | 'IoCopyCurrentIrpStackLocationToNext' | 'IoSetNextIrpStackLocation';
}>;
export const IrpStackLocationChanged = companion<IrpStackLocationChanged>('IrpStackLocationChanged');

/** IoSetCompletionRoutine on the next location; detail: routine, onSuccess, onError, onCancel, at (the location set). */
export type CompletionRoutineSet = TraceEventOf<'CompletionRoutineSet', { irp: IrpId; loc: number; detail: string }>;
export const CompletionRoutineSet = companion<CompletionRoutineSet>('CompletionRoutineSet');

/** IoCallDriver, before the lower dispatch routine runs; `device` is the target. */
export type IrpCalled = TraceEventOf<'IrpCalled', { irp: IrpId; device: string; major: string; loc: number }>;
export const IrpCalled = companion<IrpCalled>('IrpCalled');

/** IoCallDriver returns to its caller with `status`. */
export type IrpCallReturned = TraceEventOf<'IrpCallReturned', { irp: IrpId; status: NtStatus }>;
export const IrpCallReturned = companion<IrpCallReturned>('IrpCallReturned');

/** IoMarkIrpPending (api IoMarkIrpPending), or the I/O manager propagating PendingReturned during the walk (api IoCompleteRequest). */
export type IrpMarkedPending = TraceEventOf<'IrpMarkedPending', { irp: IrpId; loc: number; api: 'IoMarkIrpPending' | 'IoCompleteRequest' }>;
export const IrpMarkedPending = companion<IrpMarkedPending>('IrpMarkedPending');

/** IoCompleteRequest is called; detail.priorityBoost. */
export type IrpCompletionRequested = TraceEventOf<'IrpCompletionRequested', { irp: IrpId; status: NtStatus; loc: number }>;
export const IrpCompletionRequested = companion<IrpCompletionRequested>('IrpCompletionRequested');

/** The completion walk reached the top: no routine stopped it. */
export type IrpCompleted = TraceEventOf<'IrpCompleted', { irp: IrpId; status: NtStatus; loc: number }>;
export const IrpCompleted = companion<IrpCompleted>('IrpCompleted');

/** The master's IrpCount was set (api Set) or decremented (api IoCompleteRequest); `result` is the new count. */
export type MasterIrpCountChanged = TraceEventOf<'MasterIrpCountChanged', { irp: IrpId; master: IrpId; result: number; api: 'Set' | 'IoCompleteRequest' }>;
export const MasterIrpCountChanged = companion<MasterIrpCountChanged>('MasterIrpCountChanged');

/** IoFreeIrp, by a driver (api IoFreeIrp) or by the I/O manager (api IoManager). */
export type IrpFreed = TraceEventOf<'IrpFreed', { irp: IrpId; api: 'IoFreeIrp' | 'IoManager' }>;
export const IrpFreed = companion<IrpFreed>('IrpFreed');

/**
 * IoReuseIrp(Irp, Iostatus): the IRP is reinitialised as IoInitializeIrp leaves a new one
 * (CurrentLocation = StackCount + 1, locations, flags, thread and AssociatedIrp zeroed), then
 * IoStatus.Status = Iostatus (`status`); `loc` is the new CurrentLocation.
 */
export type IrpReused = TraceEventOf<'IrpReused', { irp: IrpId; status: NtStatus; loc: number; api: 'IoReuseIrp' }>;
export const IrpReused = companion<IrpReused>('IrpReused');

/** IoSetCancelRoutine; detail.routine (null to clear), detail.previous. */
export type CancelRoutineSet = TraceEventOf<'CancelRoutineSet', { irp: IrpId; detail: string }>;
export const CancelRoutineSet = companion<CancelRoutineSet>('CancelRoutineSet');

/** IoCancelIrp; `result` 1 when a cancel routine was called. */
export type IrpCancelled = TraceEventOf<'IrpCancelled', { irp: IrpId; result: 0 | 1 }>;
export const IrpCancelled = companion<IrpCancelled>('IrpCancelled');

/** Driver code read or wrote a field of an IRP whose completion walk has finished, or that was freed (`api` names the field). */
export type IrpAccessed = TraceEventOf<'IrpAccessed', { irp: IrpId; api: string }>;
export const IrpAccessed = companion<IrpAccessed>('IrpAccessed');

/** IoStartPacket put the IRP in the device queue (the device was busy), or started it (`result` 1 = started at once). */
export type IrpQueued = TraceEventOf<'IrpQueued', { irp: IrpId; device: string; result: 0 | 1 }>;
export const IrpQueued = companion<IrpQueued>('IrpQueued');

/** IoStartNextPacket took the IRP off the device queue to start it. */
export type IrpDequeued = TraceEventOf<'IrpDequeued', { irp: IrpId; device: string }>;
export const IrpDequeued = companion<IrpDequeued>('IrpDequeued');
