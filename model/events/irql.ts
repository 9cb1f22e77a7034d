import type { Irql } from '../brands.js';
import { companion, type TraceEventOf } from './envelope.js';

/**
 * What changed the IRQL: an explicit call, or one of the implicit changes (interrupt entry and exit,
 * spin locks, DPC draining, kernel APC delivery, DPC insertion at HIGH_LEVEL).
 */
export type IrqlApi =
  | 'KeRaiseIrql' | 'KeRaiseIrqlToDpcLevel' | 'KeRaiseIrqlToSynchLevel' | 'KeLowerIrql'
  | 'KeAcquireSpinLock' | 'KeReleaseSpinLock' | 'KeAcquireSpinLockForDpc' | 'KeReleaseSpinLockForDpc'
  | 'IoAcquireCancelSpinLock' | 'IoReleaseCancelSpinLock'
  | 'Interrupt' | 'DpcDrain' | 'Apc' | 'KeInsertQueueDpc' | 'KeSynchronizeExecution' | 'IoStartPacket' | 'IoCancelIrp';

export type IrqlRaised = TraceEventOf<'IrqlRaised', { irql: Irql; newIrql: Irql; api: IrqlApi }>;
export const IrqlRaised = companion<IrqlRaised>('IrqlRaised');

export type IrqlLowered = TraceEventOf<'IrqlLowered', { irql: Irql; newIrql: Irql; api: IrqlApi }>;
export const IrqlLowered = companion<IrqlLowered>('IrqlLowered');

export type SpinLockApi =
  | 'KeAcquireSpinLock' | 'KeReleaseSpinLock' | 'KeAcquireSpinLockAtDpcLevel' | 'KeReleaseSpinLockFromDpcLevel'
  | 'KeAcquireSpinLockForDpc' | 'KeReleaseSpinLockForDpc'
  | 'IoAcquireCancelSpinLock' | 'IoReleaseCancelSpinLock' | 'Interrupt' | 'KeSynchronizeExecution';

export type SpinLockAcquired = TraceEventOf<'SpinLockAcquired', { lock: string; api: SpinLockApi }>;
export const SpinLockAcquired = companion<SpinLockAcquired>('SpinLockAcquired');

export type SpinLockReleased = TraceEventOf<'SpinLockReleased', { lock: string; api: SpinLockApi }>;
export const SpinLockReleased = companion<SpinLockReleased>('SpinLockReleased');
