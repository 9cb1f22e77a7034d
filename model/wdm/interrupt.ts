import type { Irql } from '../brands.js';
import type { KSPIN_LOCK } from './spin-lock.js';

/** InterruptService(Interrupt, ServiceContext): TRUE if the device interrupted. Runs at DIRQL with the interrupt lock held. */
export type PKSERVICE_ROUTINE = (Interrupt: KINTERRUPT, ServiceContext: any) => Promise<boolean> | boolean;
/** SynchCritSection(Context), run by KeSynchronizeExecution at SynchronizeIrql. */
export type PKSYNCHRONIZE_ROUTINE = (SynchronizeContext: any) => Promise<boolean> | boolean;

export type KINTERRUPT_MODE = 'LevelSensitive' | 'Latched';

/** An interrupt object (KINTERRUPT), created by IoConnectInterrupt. */
export class KINTERRUPT {
  constructor(
    readonly ServiceRoutine: PKSERVICE_ROUTINE,
    readonly ServiceContext: unknown,
    readonly Vector: number,
    readonly Irql: Irql,
    readonly SynchronizeIrql: Irql,
    readonly ProcessorEnableMask: number,
    /** The interrupt spin lock (ActualLock). */
    readonly SpinLock: KSPIN_LOCK,
    /** @internal */
    readonly driverName: string | null,
    /** @internal the device name the trace uses */
    readonly deviceName: string,
  ) {}
}
