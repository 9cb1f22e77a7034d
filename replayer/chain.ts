import { ChainHasher, GENESIS_HASH, type TraceEvent } from '../model/index.js';
import { TraceChainError } from './errors.js';

/** Where a chain check stands: after event `seq` (-1: before the first), whose hash and time these are. */
export interface ChainPoint {
  readonly seq: number;
  readonly hash: string;
  readonly timeNs: number;
}

/** Before the first event. */
export const CHAIN_START: ChainPoint = Object.freeze({ seq: -1, hash: GENESIS_HASH, timeNs: 0 });

/**
 * Checks events one after the other as `recorder/verify.ts` does — `seq` dense, time never going
 * back, every stored hash equal to the chain recomputed from the events (model/hash.ts) — from
 * any point of a trace, and throws a TraceChainError naming the first bad `seq`.
 */
export class ChainVerifier {
  private hasher: ChainHasher;
  private seq: number;
  private hash: string;
  private timeNs: number;

  constructor(private readonly path: string, from: ChainPoint = CHAIN_START) {
    this.hasher = new ChainHasher(from.hash);
    this.seq = from.seq;
    this.hash = from.hash;
    this.timeNs = from.timeNs;
  }

  get point(): ChainPoint {
    return { seq: this.seq, hash: this.hash, timeNs: this.timeNs };
  }

  check(e: TraceEvent): void {
    const expected = this.seq + 1;
    if (e.seq !== expected) throw new TraceChainError(this.path, expected, e.seq === undefined ? 'the event is missing' : `found seq ${e.seq} where ${expected} was expected`);
    if (e.timeNs < this.timeNs) throw new TraceChainError(this.path, e.seq, `time goes back from ${this.timeNs} to ${e.timeNs} ns`);
    const computed = this.hasher.next(e);
    if (computed !== e.hash) throw new TraceChainError(this.path, e.seq, `its stored hash ${e.hash} does not follow from the chain (expected ${computed})`);
    this.seq = expected;
    this.hash = e.hash;
    this.timeNs = e.timeNs;
  }

  /** Continues from a point checked elsewhere (the columnar check of an Arrow batch). */
  resume(point: ChainPoint): void {
    this.hasher = new ChainHasher(point.hash);
    this.seq = point.seq;
    this.hash = point.hash;
    this.timeNs = point.timeNs;
  }
}
