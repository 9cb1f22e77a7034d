import type { EventEnvelope } from './events/envelope.js';

/**
 * The trace's hash chain: each event's hash is H(previous hash ‖ canonical encoding of the event).
 *
 * H is a 64-bit non-cryptographic hash (two murmur3-style 32-bit lanes) fed with 32-bit words, so it
 * costs a few nanoseconds per field and allocates nothing but the hex string. It identifies a run
 * and detects corruption or divergence; it is not meant to resist a deliberate forger.
 *
 * Canonical encoding (docs/trace-format.md): the columns of EVENT_COLUMNS in order; a NULL is the
 * word 0; an integer is the word 1, then its low and high 32 bits; a string is the word 2, its length,
 * then its UTF-16 code units. The chain starts from GENESIS_HASH.
 */
export const GENESIS_HASH = '0000000000000000';

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const TWO_32 = 4294967296;

/** Mutable chain state; one per run (or per verification). */
export class ChainHasher {
  private a: number;
  private b: number;
  private n = 0;

  constructor(previous: string = GENESIS_HASH) {
    this.a = parseInt(previous.slice(0, 8), 16) | 0;
    this.b = parseInt(previous.slice(8, 16), 16) | 0;
  }

  /** Hashes one event (all columns but `hash`) onto the chain and returns the new hex value. */
  next(e: Omit<EventEnvelope, 'hash'>): string {
    this.n = 0;
    this.int(e.seq); this.int(e.timeNs); this.int(e.cpu); this.int(e.irql); this.str(e.kind);
    this.int(e.activation); this.str(e.routine); this.str(e.driver); this.str(e.device); this.int(e.irp);
    this.int(e.master); this.str(e.major); this.int(e.loc); this.int(e.status); this.int(e.newIrql);
    this.str(e.dpc); this.str(e.lock); this.int(e.vector); this.int(e.result); this.str(e.api);
    this.str(e.detail); this.int(e.thread);
    const a = fmix(this.a ^ this.n);
    const b = fmix(this.b ^ Math.imul(this.n, 0x27d4eb2f));
    // Cross the lanes so that each depends on both.
    this.a = (a + b) | 0;
    this.b = (b + this.a) | 0;
    return hex(this.a) + hex(this.b);
  }

  private int(v: number | null): void {
    if (v === null) { this.word(0); return; }
    this.word(1);
    this.word(v >>> 0);
    this.word(Math.floor(v / TWO_32) | 0);
  }

  private str(s: string | null): void {
    if (s === null) { this.word(0); return; }
    this.word(2);
    const len = s.length;
    this.word(len);
    for (let i = 0; i < len; i++) this.word(s.charCodeAt(i));
  }

  private word(w: number): void {
    this.n++;
    let k = Math.imul(w, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    let a = this.a ^ k;
    a = (a << 13) | (a >>> 19);
    this.a = (Math.imul(a, 5) + 0xe6546b64) | 0;
    let b = this.b ^ Math.imul(k ^ (k >>> 16), 0x85ebca6b);
    b = (b << 17) | (b >>> 15);
    this.b = (Math.imul(b, 9) + 0x7f4a7c15) | 0;
  }
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

function hex(v: number): string {
  return HEX[(v >>> 24) & 255]! + HEX[(v >>> 16) & 255]! + HEX[(v >>> 8) & 255]! + HEX[v & 255]!;
}
