import type { NtStatus } from '../brands.js';
import { companion, type TraceEventOf } from './envelope.js';

/** Windows would stop the machine here; the run ends after it. `api` is the bug check name, `status` its code; detail: parameters. */
export type Bugcheck = TraceEventOf<'Bugcheck', { api: string; status: NtStatus; detail: string }>;
export const Bugcheck = companion<Bugcheck>('Bugcheck');
