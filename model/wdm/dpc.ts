import type { DeviceObject } from './device.js';
import type { Cpu } from '../kernel/cpu.js';

export type KDPC_IMPORTANCE = 'LowImportance' | 'MediumImportance' | 'MediumHighImportance' | 'HighImportance';

/** DeferredRoutine(Dpc, DeferredContext, SystemArgument1, SystemArgument2), run at DISPATCH_LEVEL. */
export type PKDEFERRED_ROUTINE = (Dpc: KDPC, DeferredContext: unknown, SystemArgument1: unknown, SystemArgument2: unknown) => Promise<void> | void;

/** IO_DPC_ROUTINE: a DpcForIsr gets (Dpc, DeviceObject, Irp, Context). */
export type PIO_DPC_ROUTINE = (Dpc: KDPC, DeviceObject: DeviceObject, Irp: any, Context: any) => Promise<void> | void;

/** A DPC object (KDPC). Initialise with KeInitializeDpc, or IoInitializeDpcRequest for a device's own. */
export class KDPC {
  DeferredRoutine: PKDEFERRED_ROUTINE | null = null;
  DeferredContext: unknown = null;
  SystemArgument1: unknown = null;
  SystemArgument2: unknown = null;
  Importance: KDPC_IMPORTANCE = 'MediumImportance';
  /** Target processor, or null for "the processor that inserts it" (KiInitializeDpc's Number = 0). */
  Number: number | null = null;
  /** @internal the queue it is in (DpcData); null when not queued — re-queueable from the moment it is dequeued */
  queuedOn: Cpu | null = null;
  /** @internal initialised by KeInitializeThreadedDpc (ThreadedDpcObject): it goes to the threaded queue when threaded DPCs are enabled */
  threaded = false;
  /** @internal the routine's name, for the trace */
  routineName = '';
  /** @internal the driver that owns the routine */
  driverName: string | null = null;
  /** @internal the device, for device DPCs */
  device: DeviceObject | null = null;
  constructor(readonly Name: string) {}
}
