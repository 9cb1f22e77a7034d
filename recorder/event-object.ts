import type { CpuId, Irql, IrpId, NtStatus, Seq, ThreadId, TraceEvent } from '../model/index.js';

/**
 * Rebuilds a frozen TraceEvent from column values in `events` table order (EVENT_COLUMNS, then
 * hash), with its fields in the order the simulator emits them.
 */
export function eventFromRow(r: readonly unknown[]): TraceEvent {
  return Object.freeze({
    seq: r[0] as Seq,
    timeNs: r[1] as number,
    cpu: r[2] as CpuId | null,
    irql: r[3] as Irql | null,
    kind: r[4] as string,
    activation: r[5] as Seq | null,
    routine: r[6] as string | null,
    driver: r[7] as string | null,
    device: r[8] as string | null,
    irp: r[9] as IrpId | null,
    master: r[10] as IrpId | null,
    major: r[11] as string | null,
    loc: r[12] as number | null,
    status: r[13] as NtStatus | null,
    newIrql: r[14] as Irql | null,
    dpc: r[15] as string | null,
    lock: r[16] as string | null,
    vector: r[17] as number | null,
    result: r[18] as number | null,
    api: r[19] as string | null,
    detail: r[20] as string | null,
    thread: r[21] as ThreadId | null,
    hash: r[22] as string,
  }) as TraceEvent;
}
