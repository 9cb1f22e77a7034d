import { companion, type TraceEventOf } from './envelope.js';

/** A device asserts its interrupt; `cpu` is the processor it is routed to. */
export type InterruptRequested = TraceEventOf<'InterruptRequested', { device: string; vector: number }>;
export const InterruptRequested = companion<InterruptRequested>('InterruptRequested');

/** Driver code wrote a device register (WRITE_REGISTER_ULONG); `result` is the value, detail.register its name. */
export type RegisterWritten = TraceEventOf<'RegisterWritten', { device: string; result: number; detail: string }>;
export const RegisterWritten = companion<RegisterWritten>('RegisterWritten');

/** Driver code read a device register (READ_REGISTER_ULONG); `result` is the value read. */
export type RegisterRead = TraceEventOf<'RegisterRead', { device: string; result: number; detail: string }>;
export const RegisterRead = companion<RegisterRead>('RegisterRead');
