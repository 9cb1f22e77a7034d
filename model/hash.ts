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

  private readonly digests = new Map<string, number>();
  /** The chain state: the two lanes of the last hash. */
  private readonly lanes = new Int32Array(2);
  /**
   * The last string seen in each string column but `kind`, and its digest: consecutive events
   * mostly repeat them (routine, driver, device: 74–92% of events). Plain fields, tested inline in
   * `next`: a call per column, or an array indexed by column, cost a third of the hash.
   */
  private routine: string | null = null; private routineD = 0;
  private driver: string | null = null; private driverD = 0;
  private device: string | null = null; private deviceD = 0;
  private major: string | null = null; private majorD = 0;
  private dpc: string | null = null; private dpcD = 0;
  private lock: string | null = null; private lockD = 0;
  private api: string | null = null; private apiD = 0;
  private detail: string | null = null; private detailD = 0;

  constructor(previous: string = GENESIS_HASH) {
    this.lanes[0] = parseInt(previous.slice(0, 8), 16) | 0;
    this.lanes[1] = parseInt(previous.slice(8, 16), 16) | 0;
  }

  /** Hashes one event (all columns but `hash`) onto the chain and returns the new hex value. */
  next(e: Omit<EventEnvelope, 'hash'>): string {
    // Locals, not fields, and no calls but the cache miss: this runs once per simulated event.
    const w = this.words;
    const seq = e.seq, time = e.timeNs, cpu = e.cpu, irql = e.irql, activation = e.activation;
    const routine = e.routine, driver = e.driver, device = e.device;
    const irp = e.irp, master = e.master, major = e.major, loc = e.loc, status = e.status, newIrql = e.newIrql;
    const dpc = e.dpc, lock = e.lock, vector = e.vector, result = e.result, api = e.api, detail = e.detail, thread = e.thread;
    let presence = 0b10011; // seq, time_ns and kind are never NULL
    w[1] = seq; w[2] = high(seq);
    w[3] = time; w[4] = high(time);
    let n = 5;
    if (cpu !== null) { presence |= 1 << 2; w[n] = cpu; w[n + 1] = high(cpu); n += 2; }
    if (irql !== null) { presence |= 1 << 3; w[n] = irql; w[n + 1] = high(irql); n += 2; }
    w[n++] = this.lookup(e.kind);
    if (activation !== null) { presence |= 1 << 5; w[n] = activation; w[n + 1] = high(activation); n += 2; }
    if (routine !== null) {
      presence |= 1 << 6;
      if (routine !== this.routine) { this.routine = routine; this.routineD = this.lookup(routine); }
      w[n++] = this.routineD;
    }
    if (driver !== null) {
      presence |= 1 << 7;
      if (driver !== this.driver) { this.driver = driver; this.driverD = this.lookup(driver); }
      w[n++] = this.driverD;
    }
    if (device !== null) {
      presence |= 1 << 8;
      if (device !== this.device) { this.device = device; this.deviceD = this.lookup(device); }
      w[n++] = this.deviceD;
    }
    if (irp !== null) { presence |= 1 << 9; w[n] = irp; w[n + 1] = high(irp); n += 2; }
    if (master !== null) { presence |= 1 << 10; w[n] = master; w[n + 1] = high(master); n += 2; }
    if (major !== null) {
      presence |= 1 << 11;
      if (major !== this.major) { this.major = major; this.majorD = this.lookup(major); }
      w[n++] = this.majorD;
    }
    if (loc !== null) { presence |= 1 << 12; w[n] = loc; w[n + 1] = high(loc); n += 2; }
    if (status !== null) { presence |= 1 << 13; w[n] = status; w[n + 1] = high(status); n += 2; }
    if (newIrql !== null) { presence |= 1 << 14; w[n] = newIrql; w[n + 1] = high(newIrql); n += 2; }
    if (dpc !== null) {
      presence |= 1 << 15;
      if (dpc !== this.dpc) { this.dpc = dpc; this.dpcD = this.lookup(dpc); }
      w[n++] = this.dpcD;
    }
    if (lock !== null) {
      presence |= 1 << 16;
      if (lock !== this.lock) { this.lock = lock; this.lockD = this.lookup(lock); }
      w[n++] = this.lockD;
    }
    if (vector !== null) { presence |= 1 << 17; w[n] = vector; w[n + 1] = high(vector); n += 2; }
    if (result !== null) { presence |= 1 << 18; w[n] = result; w[n + 1] = high(result); n += 2; }
    if (api !== null) {
      presence |= 1 << 19;
      if (api !== this.api) { this.api = api; this.apiD = this.lookup(api); }
      w[n++] = this.apiD;
    }
    if (detail !== null) {
      presence |= 1 << 20;
      if (detail !== this.detail) { this.detail = detail; this.detailD = this.lookup(detail); }
      w[n++] = this.detailD;
    }
    if (thread !== null) { presence |= 1 << 21; w[n] = thread; w[n + 1] = high(thread); n += 2; }
    w[0] = presence;
    const lanes = this.lanes;
    mixWords(lanes[0]!, lanes[1]!, w, n, lanes);
    return toHex(lanes[0]!, lanes[1]!);
  }

  /** A string's digest from the cache (bounded), computed on a miss. */
  private lookup(s: string): number {
    let d = this.digests.get(s);
    if (d === undefined) {
      d = stringDigest(s) | 0;
      if (this.digests.size >= DIGEST_CACHE_LIMIT) this.digests.clear();
      this.digests.set(s, d);
    }
    return d;
  }
}

/** An integer's high word (two's complement): 0 for 0 ≤ v < 2^32, −1 for −2^32 ≤ v < 0. */
function high(v: number): number {
  return v >= 0 && v <= 0xffffffff ? 0 : Math.floor(v / TWO_32);
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
