import type { CpuId, Irql, IrpId, NtStatus, Seq, ThreadId, TimeNs } from '../brands.js';

/**
 * The common shape of every trace event: exactly the columns of the `events` table
 * (trace-schema.md), camel-cased. Every event carries every column, `null` where a kind does not
 * set it, so that all events share one hidden class on the hot path and map to a row without a
 * per-kind switch.
 */
export interface EventEnvelope {
  /** 0, 1, 2, … dense, in emission order. */
  readonly seq: Seq;
  /** Simulated time, never decreasing with `seq`. */
  readonly timeNs: TimeNs;
  /** The processor the event happened on; null for hardware-side and session events. */
  readonly cpu: CpuId | null;
  /** That processor's IRQL when the event happened (before the change, for IRQL events). */
  readonly irql: Irql | null;
  readonly kind: string;
  /** `seq` of the RoutineEntered of the innermost driver routine running on that CPU. */
  readonly activation: Seq | null;
  readonly routine: string | null;
  readonly driver: string | null;
  readonly device: string | null;
  readonly irp: IrpId | null;
  readonly master: IrpId | null;
  readonly major: string | null;
  /** The IRP's CurrentLocation after the event. */
  readonly loc: number | null;
  readonly status: NtStatus | null;
  readonly newIrql: Irql | null;
  readonly dpc: string | null;
  readonly lock: string | null;
  readonly vector: number | null;
  readonly result: number | null;
  readonly api: string | null;
  /** JSON object text with anything else the kind carries. */
  readonly detail: string | null;
  /** The simulated thread the CPU was running (an addition to the contract; null in arbitrary context of an idle CPU). */
  readonly thread: ThreadId | null;
  /** Hex chain hash: H(previous hash ‖ canonical encoding of this event). */
  readonly hash: string;
}

/** The envelope with `kind` fixed and some columns narrowed to non-null for that kind. */
export type TraceEventOf<K extends string, F extends Partial<Omit<EventEnvelope, 'kind'>> = {}> =
  Omit<EventEnvelope, 'kind' | keyof F> & { readonly kind: K } & { readonly [P in keyof F]: F[P] };

/** Companion of an event type: its kind and a type guard, like kysely's node factories. */
export interface EventCompanion<E extends { kind: string }> {
  readonly kind: E['kind'];
  is(event: { kind: string }): event is E;
}

export function companion<E extends { kind: string }>(kind: E['kind']): EventCompanion<E> {
  return Object.freeze({ kind, is: (event: { kind: string }): event is E => event.kind === kind });
}
