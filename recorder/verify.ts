import { ChainHasher, GENESIS_HASH, type TraceEvent } from '../model/index.js';

/** What checking a trace's events found. */
export interface ChainCheck {
  readonly events: number;
  /** Hash of the last event (GENESIS_HASH when there is none). */
  readonly lastHash: string;
  /** Empty when the trace is sound; otherwise the first problem found, one line. */
  readonly problems: readonly string[];
}

/**
 * Checks a trace's events as a reader can: `seq` dense from 0, time never decreasing, and every
 * stored hash equal to the hash chain recomputed from the events (model/hash.ts). Stops at the
 * first problem.
 */
export function checkChain(events: Iterable<TraceEvent>): ChainCheck {
  const hasher = new ChainHasher();
  let count = 0;
  let lastHash = GENESIS_HASH;
  let lastTime = -Infinity;
  for (const e of events) {
    const problem =
      e.seq !== count ? `seq ${e.seq} where ${count} was expected` :
      e.timeNs < lastTime ? `event ${e.seq}: time goes back from ${lastTime} to ${e.timeNs}` :
      hasher.next(e) !== e.hash ? `event ${e.seq}: stored hash ${e.hash} does not follow from the chain` :
      null;
    if (problem !== null) return { events: count, lastHash, problems: [problem] };
    count++;
    lastTime = e.timeNs;
    lastHash = e.hash;
  }
  return { events: count, lastHash, problems: [] };
}
