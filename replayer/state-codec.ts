import type { CpuId, IrpId, MachineState } from '../model/index.js';
import type { ContextState, CpuState, IrpState } from '../model/state.js';

/**
 * A MachineState as JSON text and back, exactly: every field the fold reads later (the internal
 * `walkFrom` included, which `canonicalState` drops) and the Maps' insertion order, so that folding
 * on from a decoded checkpoint gives what folding from the start gives.
 */
interface EncodedState {
  readonly seq: number;
  readonly timeNs: number;
  readonly ended: MachineState['ended'];
  readonly cpus: readonly CpuState[];
  readonly irps: readonly IrpState[];
  readonly locks: readonly (readonly [string, CpuId])[];
  readonly parked: readonly (readonly [string, ContextState])[];
}

export function encodeState(s: MachineState): string {
  const encoded: EncodedState = {
    seq: s.seq, timeNs: s.timeNs, ended: s.ended, cpus: s.cpus, irps: [...s.irps.values()], locks: [...s.locks], parked: [...s.parked],
  };
  return JSON.stringify(encoded);
}

export function decodeState(text: string): MachineState {
  const e = JSON.parse(text) as EncodedState;
  return {
    seq: e.seq, timeNs: e.timeNs, ended: e.ended,
    // A sidecar saved before threaded DPCs has no threaded queue: its trace cannot have one queued.
    cpus: e.cpus.map((c) => ({ ...c, frames: [...c.frames], routines: [...c.routines], dpcQueue: [...c.dpcQueue], threadedDpcQueue: [...(c.threadedDpcQueue ?? [])] })),
    irps: new Map(e.irps.map((irp) => [irp.id as IrpId, { ...irp, pending: [...irp.pending], completions: [...irp.completions] }])),
    locks: new Map(e.locks),
    parked: new Map(e.parked.map(([k, c]) => [k, { irql: c.irql, frames: [...c.frames], routines: [...c.routines] }])),
  };
}
