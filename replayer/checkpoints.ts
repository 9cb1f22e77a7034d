import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { initialState, type MachineState, type TraceEvent } from '../model/index.js';
import { CHAIN_START, type ChainPoint } from './chain.js';
import { decodeState, encodeState } from './state-codec.js';
import type { TraceFile, TraceFingerprint } from './trace-file.js';
import { ZoneBuilder, type Zone } from './zones.js';

/** Events between checkpoints by default: a seek folds at most this many (one Arrow record batch; SQLite reads rows ~10× slower). */
export const DEFAULT_INTERVAL = Object.freeze({ arrow: 4096, sqlite: 1024 });

/** The sidecar's first line: `IRPTRACE-CHECKPOINTS <version> <header bytes>`. */
const MAGIC = 'IRPTRACE-CHECKPOINTS';
const VERSION = 1;

/** Where checkpoint `j` (the state after event `j × interval - 1`) is, and the chain there. */
interface CheckpointEntry extends ChainPoint {
  /** Byte offset of its encoded state after the header, and its length. */
  readonly offset: number;
  readonly length: number;
}

interface SidecarHeader {
  readonly trace: TraceFingerprint;
  readonly interval: number;
  readonly points: readonly CheckpointEntry[];
  /** Zone of each interval `j`: events `j × interval` … `(j + 1) × interval - 1`. */
  readonly zones: readonly Zone[];
}

/** Where checkpoints came from: read from the sidecar, or built (`saved`: and written to it). */
export type CheckpointOrigin = 'loaded' | 'built-saved' | 'built-unsaved';

/**
 * The machine state every `interval` events, with the chain point there and a zone map of each
 * interval: a seek anywhere folds at most `interval` events. Kept next to the trace in a sidecar,
 * `<trace>.checkpoints` (the trace itself is never modified), which records the trace's
 * fingerprint (size, mtime, session id, event count, last hash): a sidecar made for other bytes is
 * stale, and rebuilt.
 *
 * Building walks the whole trace once, checking its hash chain: a corrupted trace fails here with
 * the TraceChainError of its first bad event.
 */
export class Checkpoints {
  private constructor(
    private readonly header: SidecarHeader,
    /** Encoded states when built in this process; otherwise read from `sidecar` on demand. */
    private readonly encoded: readonly string[] | null,
    private readonly sidecar: string,
    readonly origin: CheckpointOrigin,
  ) {}

  get interval(): number {
    return this.header.interval;
  }

  /** Number of intervals (zones). */
  get intervals(): number {
    return this.header.zones.length;
  }

  static sidecarPath(tracePath: string): string {
    return `${tracePath}.checkpoints`;
  }

  /**
   * The trace's checkpoints: its sidecar when it is there and matches the trace (and the
   * interval, when one is asked for), otherwise built now and saved when the directory is
   * writable.
   */
  static forTrace(file: TraceFile, options: { interval?: number; save?: boolean; onProgress?: (done: number, total: number) => void } = {}): Checkpoints {
    const sidecar = Checkpoints.sidecarPath(file.path);
    const loaded = Checkpoints.load(sidecar, file.fingerprint);
    if (loaded !== null && (options.interval === undefined || loaded.interval === options.interval)) return loaded;
    const interval = options.interval ?? DEFAULT_INTERVAL[file.format];
    return Checkpoints.build(file, interval, sidecar, options.save !== false, options.onProgress);
  }

  /** Reads a sidecar's header; null when it is missing, unreadable or made for other bytes. */
  static load(sidecar: string, fingerprint: TraceFingerprint): Checkpoints | null {
    let fd: number;
    try {
      fd = openSync(sidecar, 'r');
    } catch {
      return null;
    }
    try {
      const first = Buffer.alloc(64);
      const got = readSync(fd, first, 0, 64, 0);
      const line = first.toString('latin1', 0, got).split('\n')[0]!;
      const [magic, version, size] = line.split(' ');
      if (magic !== MAGIC || Number(version) !== VERSION || !Number.isSafeInteger(Number(size))) return null;
      const text = Buffer.alloc(Number(size));
      if (readSync(fd, text, 0, text.length, line.length + 1) !== text.length) return null;
      const header = JSON.parse(text.toString('utf8')) as SidecarHeader;
      if (!sameTrace(header.trace, fingerprint)) return null;
      const base = line.length + 1 + text.length;
      const points = header.points.map((p) => ({ ...p, offset: p.offset + base }));
      // A sidecar cut short (a full disk, a copy interrupted) would fail on the first state read
      // from its missing end: treat it as absent, so it is built again.
      const end = points.reduce((max, p) => Math.max(max, p.offset + p.length), base);
      if (fstatSync(fd).size < end) return null;
      return new Checkpoints({ ...header, points }, null, sidecar, 'loaded');
    } catch {
      return null;
    } finally {
      closeSync(fd);
    }
  }

  static build(file: TraceFile, interval: number, sidecar: string, save: boolean, onProgress?: (done: number, total: number) => void): Checkpoints {
    if (!Number.isSafeInteger(interval) || interval < 1) throw new RangeError(`checkpoint interval must be a positive integer, not ${interval}`);
    const state = initialState(file.facts.cpus);
    const encoded: string[] = [encodeState(state)];
    const points: ChainPoint[] = [CHAIN_START];
    const zones: Zone[] = [];
    const zone = new ZoneBuilder();
    // One fold over the whole trace (a long Arrow fold has its chain checked on the other core,
    // arrow-file.ts); the checkpoints and zones are taken as it passes each interval's last event.
    const visit = (e: TraceEvent): void => {
      zone.add(e);
      if ((e.seq + 1) % interval !== 0) return;
      zones.push(zone.take());
      encoded.push(encodeState(state));
      points.push({ seq: e.seq, hash: e.hash, timeNs: e.timeNs });
      onProgress?.(e.seq + 1, file.count);
    };
    if (file.count > 0) file.fold(state, 0, file.count - 1, CHAIN_START, visit);
    if (file.count % interval !== 0) {
      zones.push(zone.take());
      onProgress?.(file.count, file.count);
    }
    let offset = 0;
    const entries = points.map((p, j) => {
      const length = Buffer.byteLength(encoded[j]!);
      const entry = { seq: p.seq, hash: p.hash, timeNs: p.timeNs, offset, length };
      offset += length;
      return entry;
    });
    const header: SidecarHeader = { trace: file.fingerprint, interval, points: entries, zones };
    const saved = save && write(sidecar, header, encoded);
    return new Checkpoints(header, encoded, sidecar, saved ? 'built-saved' : 'built-unsaved');
  }

  /** The checkpoint to start a fold to `seq` from: the last one at or before it (`seq` -1: the initial state). */
  nearest(seq: number): number {
    return Math.min(Math.floor((seq + 1) / this.interval), this.header.points.length - 1);
  }

  /** Checkpoint `j`'s chain point (the event just before interval `j`). */
  point(j: number): ChainPoint {
    const p = this.header.points[j]!;
    return { seq: p.seq, hash: p.hash, timeNs: p.timeNs };
  }

  /** A fresh copy of checkpoint `j`'s state, the caller's to fold on. */
  state(j: number): MachineState {
    if (this.encoded !== null) return decodeState(this.encoded[j]!);
    const entry = this.header.points[j]!;
    const bytes = Buffer.alloc(entry.length);
    const fd = openSync(this.sidecar, 'r');
    try {
      readSync(fd, bytes, 0, entry.length, entry.offset);
    } finally {
      closeSync(fd);
    }
    return decodeState(bytes.toString('utf8'));
  }

  zone(j: number): Zone {
    return this.header.zones[j]!;
  }
}

function sameTrace(a: TraceFingerprint, b: TraceFingerprint): boolean {
  return a.format === b.format && a.size === b.size && a.mtimeMs === b.mtimeMs && a.sessionId === b.sessionId && a.events === b.events && a.lastHash === b.lastHash;
}

/** Writes the sidecar atomically (a temporary file renamed); false when it cannot be written. */
function write(sidecar: string, header: SidecarHeader, encoded: readonly string[]): boolean {
  const json = Buffer.from(JSON.stringify(header));
  const temporary = `${sidecar}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, Buffer.concat([Buffer.from(`${MAGIC} ${VERSION} ${json.length}\n`, 'latin1'), json, ...encoded.map((s) => Buffer.from(s))]));
    renameSync(temporary, sidecar);
    return true;
  } catch {
    rmSync(temporary, { force: true });
    return false;
  }
}
