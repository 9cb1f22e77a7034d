import { companion, type TraceEventOf } from './envelope.js';

/** KeWaitForSingleObject blocks the calling thread (it was not signalled); detail.object. */
export type WaitStarted = TraceEventOf<'WaitStarted', { detail: string }>;
export const WaitStarted = companion<WaitStarted>('WaitStarted');

/** The wait is satisfied and the thread runs again; `result` is the wait status; detail.object. */
export type WaitEnded = TraceEventOf<'WaitEnded', { detail: string; result: number }>;
export const WaitEnded = companion<WaitEnded>('WaitEnded');

/** KeSetEvent; `result` is the previous signal state; detail.object. */
export type EventSignaled = TraceEventOf<'EventSignaled', { detail: string; result: number }>;
export const EventSignaled = companion<EventSignaled>('EventSignaled');

/**
 * A processor switched what it runs: `thread` is the thread now running (null: the processor's own
 * arbitrary context, idle or servicing interrupts and DPCs), `result` the one before (null: idle).
 */
export type ContextSwitched = TraceEventOf<'ContextSwitched', { api: 'KiSwapContext' }>;
export const ContextSwitched = companion<ContextSwitched>('ContextSwitched');
