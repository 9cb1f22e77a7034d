import { companion, type TraceEventOf } from './envelope.js';

/**
 * IoRequestDpc or KeInsertQueueDpc (`api`). `cpu` is the target processor; `result` 1 inserted,
 * 0 when the DPC object was already queued and its arguments (`irp`) were dropped.
 * detail: importance.
 */
export type DpcQueued = TraceEventOf<'DpcQueued', { dpc: string; result: 0 | 1; api: 'IoRequestDpc' | 'KeInsertQueueDpc' }>;
export const DpcQueued = companion<DpcQueued>('DpcQueued');

/** KeRemoveQueueDpc; `result` 1 when the DPC was in a queue and is removed. */
export type DpcDequeued = TraceEventOf<'DpcDequeued', { dpc: string; result: 0 | 1 }>;
export const DpcDequeued = companion<DpcDequeued>('DpcDequeued');
