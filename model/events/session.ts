import type { IrpId, NtStatus } from '../brands.js';
import { companion, type TraceEventOf } from './envelope.js';

/** Why a run ended: the `api` of SessionEnded (`error` and `stalled` are additions to the contract). */
export type EndReason = 'completed' | 'bugcheck' | 'interrupted' | 'limit' | 'error' | 'stalled';

/** First event of a run; detail: scenario, seed, cpus, requests. */
export type SessionStarted = TraceEventOf<'SessionStarted', { detail: string }>;
export const SessionStarted = companion<SessionStarted>('SessionStarted');

/** Last event of a run; `api` is the end reason. */
export type SessionEnded = TraceEventOf<'SessionEnded', { api: EndReason }>;
export const SessionEnded = companion<SessionEnded>('SessionEnded');

/** The I/O manager turned a workload request into an IRP and sends it to the top of a stack. */
export type RequestIssued = TraceEventOf<'RequestIssued', { irp: IrpId; device: string; major: string }>;
export const RequestIssued = companion<RequestIssued>('RequestIssued');

/** The requester got its result (the I/O manager's final completion). */
export type RequestCompleted = TraceEventOf<'RequestCompleted', { irp: IrpId; status: NtStatus }>;
export const RequestCompleted = companion<RequestCompleted>('RequestCompleted');
