import type { EventEnvelope } from './events/envelope.js';

/**
 * The trace's hash chain: each event's hash is H(previous hash ‖ canonical encoding of the event).
 *
 * H is a 64-bit non-cryptographic hash (two murmur3-style 32-bit lanes) fed with 32-bit words; it
 * identifies a run and detects corruption or divergence, and is not meant to resist a forger.
 *
 * Canonical encoding (docs/trace-format.md), over the columns of EVENT_COLUMNS in order: first a
 * presence word whose bit i is set when column i is not NULL; then, for each non-NULL column in
 * order, an integer as two words (low 32 bits, then the high bits) and a string as one word, its
 * `stringDigest`. The chain starts from GENESIS_HASH.
 */
export const GENESIS_HASH = '0000000000000000';

/** Character codes of the hex digits: the hash text is built in one String.fromCharCode call. */
const HEX = [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102];
const TWO_32 = 4294967296;

/** murmur3-32 (seed 0) over a string's UTF-16 code units, finalised with its length. */
export function stringDigest(s: string): number {
  let h = 0;
  const len = s.length;
  for (let i = 0; i < len; i++) {
    let k = Math.imul(s.charCodeAt(i), 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  return fmix(h ^ len) >>> 0;
}

/** Strings repeat (kinds, routines, devices, APIs): their digests are cached, within a bound. */
const DIGEST_CACHE_LIMIT = 65536;

/** Mutable chain state; one per run (or per verification). */
export class ChainHasher {
  /** The event's words are gathered here, then mixed in one tight loop. */
  private readonly words = new Int32Array(64);
  private n = 0;
  private readonly digests = new Map<string, number>();
  /** The chain state: the two lanes of the last hash. */
  private readonly lanes = new Int32Array(2);
  /** The last string seen in each string column, and its digest: consecutive events often repeat them. */
  private readonly lastString: (string | null)[] = [null, null, null, null, null, null, null, null, null];
  private readonly lastDigest = new Int32Array(9);

  constructor(previous: string = GENESIS_HASH) {
    this.lanes[0] = parseInt(previous.slice(0, 8), 16) | 0;
    this.lanes[1] = parseInt(previous.slice(8, 16), 16) | 0;
  }

  /** Hashes one event (all columns but `hash`) onto the chain and returns the new hex value. */
  next(e: Omit<EventEnvelope, 'hash'>): string {
    const words = this.words;
    words[0] =
      (e.cpu !== null ? 1 << 2 : 0) | (e.irql !== null ? 1 << 3 : 0) | (e.activation !== null ? 1 << 5 : 0) |
      (e.routine !== null ? 1 << 6 : 0) | (e.driver !== null ? 1 << 7 : 0) | (e.device !== null ? 1 << 8 : 0) |
      (e.irp !== null ? 1 << 9 : 0) | (e.master !== null ? 1 << 10 : 0) | (e.major !== null ? 1 << 11 : 0) |
      (e.loc !== null ? 1 << 12 : 0) | (e.status !== null ? 1 << 13 : 0) | (e.newIrql !== null ? 1 << 14 : 0) |
      (e.dpc !== null ? 1 << 15 : 0) | (e.lock !== null ? 1 << 16 : 0) | (e.vector !== null ? 1 << 17 : 0) |
      (e.result !== null ? 1 << 18 : 0) | (e.api !== null ? 1 << 19 : 0) | (e.detail !== null ? 1 << 20 : 0) |
      (e.thread !== null ? 1 << 21 : 0) | 0b10011; // seq, time_ns and kind are never NULL
    this.n = 1;
    this.int(e.seq); this.int(e.timeNs);
    if (e.cpu !== null) this.int(e.cpu);
    if (e.irql !== null) this.int(e.irql);
    this.str(e.kind, 0);
    if (e.activation !== null) this.int(e.activation);
    if (e.routine !== null) this.str(e.routine, 1);
    if (e.driver !== null) this.str(e.driver, 2);
    if (e.device !== null) this.str(e.device, 3);
    if (e.irp !== null) this.int(e.irp);
    if (e.master !== null) this.int(e.master);
    if (e.major !== null) this.str(e.major, 4);
    if (e.loc !== null) this.int(e.loc);
    if (e.status !== null) this.int(e.status);
    if (e.newIrql !== null) this.int(e.newIrql);
    if (e.dpc !== null) this.str(e.dpc, 5);
    if (e.lock !== null) this.str(e.lock, 6);
    if (e.vector !== null) this.int(e.vector);
    if (e.result !== null) this.int(e.result);
    if (e.api !== null) this.str(e.api, 7);
    if (e.detail !== null) this.str(e.detail, 8);
    if (e.thread !== null) this.int(e.thread);
    const lanes = this.lanes;
    mixWords(lanes[0]!, lanes[1]!, words, this.n, lanes);
    return toHex(lanes[0]!, lanes[1]!);
  }

  private int(v: number): void {
    const words = this.words;
    words[this.n++] = v;
    // The high word, two's complement: 0 for 0 ≤ v < 2^32, −1 for −2^32 ≤ v < 0.
    words[this.n++] = v >= 0 && v <= 0xffffffff ? 0 : Math.floor(v / TWO_32);
  }

  private str(s: string, column: number): void {
    if (this.lastString[column] === s) {
      this.words[this.n++] = this.lastDigest[column]!;
      return;
    }
    let d = this.digests.get(s);
    if (d === undefined) {
      d = stringDigest(s);
      if (this.digests.size >= DIGEST_CACHE_LIMIT) this.digests.clear();
      this.digests.set(s, d);
    }
    this.lastString[column] = s;
    this.lastDigest[column] = d;
    this.words[this.n++] = d;
  }
}

/**
 * H itself: mixes an event's `n` words into the chain lanes `a`, `b` (the previous hash) and writes
 * the new lanes to `out`. Shared by ChainHasher and the replayer's column-wise chain check.
 */
export function mixWords(a: number, b: number, words: Int32Array, n: number, out: Int32Array): void {
  for (let i = 0; i < n; i++) {
    let k = Math.imul(words[i]!, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    a ^= k;
    a = (a << 13) | (a >>> 19);
    a = (Math.imul(a, 5) + 0xe6546b64) | 0;
    b ^= k ^ (k >>> 16);
    b = (b << 17) | (b >>> 15);
    b = (Math.imul(b, 9) + 0x7f4a7c15) | 0;
  }
  a = fmix(a);
  b = fmix(b ^ 0x27d4eb2f);
  // Cross the lanes so that each depends on both.
  a = (a + b) | 0;
  out[0] = a;
  out[1] = (b + a) | 0;
}

/** murmur3's 32-bit finaliser. */
export function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** 16 hex digits of the two lanes; one flat string, no table beyond the 16 digits (cache-friendly). */
function toHex(a: number, b: number): string {
  const h = HEX;
  return String.fromCharCode(
    h[(a >>> 28) & 15]!, h[(a >>> 24) & 15]!, h[(a >>> 20) & 15]!, h[(a >>> 16) & 15]!,
    h[(a >>> 12) & 15]!, h[(a >>> 8) & 15]!, h[(a >>> 4) & 15]!, h[a & 15]!,
    h[(b >>> 28) & 15]!, h[(b >>> 24) & 15]!, h[(b >>> 20) & 15]!, h[(b >>> 16) & 15]!,
    h[(b >>> 12) & 15]!, h[(b >>> 8) & 15]!, h[(b >>> 4) & 15]!, h[b & 15]!,
  );
}
