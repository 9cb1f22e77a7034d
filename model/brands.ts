/**
 * Branded identifiers and units. Plain numbers underneath (BigInt on the event path costs more than
 * it buys, and 2^53 ns is 104 days of simulated time); the brand keeps a `Seq` from being passed
 * where an `IrpId` is expected.
 */
export type Brand<K, T extends string> = K & { readonly __brand: T };
/** A brand that plain literals still satisfy. */
export type Flavour<K, T extends string> = K & { readonly __brand?: T };

/** Position of an event in a run: 0, 1, 2, … dense. */
export type Seq = Brand<number, 'Seq'>;
/** Simulated time in nanoseconds since the session started. */
export type TimeNs = Flavour<number, 'TimeNs'>;
/** An interrupt request level (x64 values, 0–15). */
export type Irql = Flavour<number, 'Irql'>;
/** A processor number, 0-based. */
export type CpuId = Flavour<number, 'CpuId'>;
/** An IRP's identity in one trace: unique, never reused. */
export type IrpId = Brand<number, 'IrpId'>;
/** An NTSTATUS as an unsigned 32-bit value. */
export type NtStatus = Flavour<number, 'NtStatus'>;
/** A simulated thread's identity. */
export type ThreadId = Flavour<number, 'ThreadId'>;
