import type { Irql } from '../brands.js';

/** x64 IRQL values (windows-semantics.md §1.1; ReactOS sdk/include/xdk/amd64/ke.h). */
export const PASSIVE_LEVEL = 0 as Irql;
export const LOW_LEVEL = 0 as Irql;
export const APC_LEVEL = 1 as Irql;
export const DISPATCH_LEVEL = 2 as Irql;
/** Lowest and highest device IRQL (DIRQL band: above DISPATCH, below CLOCK). */
export const DIRQL_MIN = 3 as Irql;
export const DIRQL_MAX = 12 as Irql;
export const SYNCH_LEVEL = 12 as Irql;
export const CLOCK_LEVEL = 13 as Irql;
export const IPI_LEVEL = 14 as Irql;
export const PROFILE_LEVEL = 15 as Irql;
export const HIGH_LEVEL = 15 as Irql;

const NAMES: Record<number, string> = {
  0: 'PASSIVE_LEVEL', 1: 'APC_LEVEL', 2: 'DISPATCH_LEVEL', 12: 'SYNCH_LEVEL', 13: 'CLOCK_LEVEL',
  14: 'IPI_LEVEL', 15: 'HIGH_LEVEL',
};

/** A readable name for an IRQL: `DISPATCH_LEVEL`, `DIRQL 5`, … */
export function irqlName(irql: Irql): string {
  if (irql >= DIRQL_MIN && irql < SYNCH_LEVEL) return `DIRQL ${irql}`;
  return NAMES[irql] ?? `IRQL ${irql}`;
}
