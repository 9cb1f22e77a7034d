import type { NtStatus } from '../brands.js';
import { companion, type TraceEventOf } from './envelope.js';

/** The kind of driver routine, in `api` of RoutineEntered/RoutineReturned. */
export type RoutineKind = 'DriverEntry' | 'AddDevice' | 'Dispatch' | 'StartIo' | 'Isr' | 'Dpc' | 'Completion' | 'Cancel'
  /** A PsCreateSystemThread StartRoutine: the life of the driver's thread. */
  | 'SystemThread'
  /** DriverUnload, called by the system thread once the workload is done. */
  | 'Unload'
  /**
   * A CustomThreadedDpc (KeInitializeThreadedDpc) run by its processor's DPC thread at PASSIVE_LEVEL.
   * With threaded DPCs disabled (ThreadDpcEnable = 0) the same routine runs as a `Dpc`.
   */
  | 'ThreadedDpc';

/** A driver routine starts; its `seq` is the `activation` of every event inside it. */
export type RoutineEntered = TraceEventOf<'RoutineEntered', { routine: string; driver: string; api: RoutineKind }>;
export const RoutineEntered = companion<RoutineEntered>('RoutineEntered');

/**
 * A driver routine returns. `status` is the NTSTATUS it returned (an ISR's BOOLEAN as 1/0; null for
 * routines that return nothing). `activation` is the seq of its own RoutineEntered.
 */
export type RoutineReturned = TraceEventOf<'RoutineReturned', { routine: string; driver: string; api: RoutineKind }>;
export const RoutineReturned = companion<RoutineReturned>('RoutineReturned');
export type { NtStatus };
