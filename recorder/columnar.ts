import { EVENT_COLUMNS, EVENT_KINDS, type EventEnvelope, type TraceEvent } from '../model/index.js';
import { StringDictionary } from './dictionary.js';

/** The INTEGER columns, in EVENT_COLUMNS order. */
export const INT_COLUMNS = Object.freeze([
  'seq', 'time_ns', 'cpu', 'irql', 'activation', 'irp', 'master', 'loc', 'status', 'new_irql', 'vector', 'result', 'thread',
] as const);

/** The TEXT columns but `hash`, in EVENT_COLUMNS order. */
export const TEXT_COLUMNS = Object.freeze(['kind', 'routine', 'driver', 'device', 'major', 'dpc', 'lock', 'api', 'detail'] as const);

export type IntColumn = (typeof INT_COLUMNS)[number];
export type TextColumn = (typeof TEXT_COLUMNS)[number];

/** Characters of a chain hash. */
export const HASH_LENGTH = 16;

/**
 * One batch of events as columns: what the Arrow sink builds record batches from and what crosses
 * to the SQLite writer thread (its two buffers are transferred, not copied).
 */
export interface ColumnarBatch {
  readonly length: number;
  /** INTEGER columns, column-major: column `c` of event `i` at `c * length + i`; NaN is NULL. */
  readonly ints: Float64Array;
  /** TEXT columns' dictionary codes, column-major like `ints`; -1 is NULL. */
  readonly codes: Int16Array;
  /** Per TEXT column, the strings this batch gave new codes to, in code order. */
  readonly added: readonly (readonly string[])[];
  /** Bit `c` set: TEXT column `c`'s dictionary restarted empty before this batch. */
  readonly resets: number;
  /** The events' hashes, concatenated (HASH_LENGTH characters each). */
  readonly hashes: string;
}

/** Where each table column comes from, in table order: an INTEGER column, a TEXT column, or the hash. */
export type ColumnSource = readonly ['int', number] | readonly ['text', number] | readonly ['hash'];

/** The `events` table's columns (EVENT_COLUMNS, then hash) mapped onto a ColumnarBatch. */
export const TABLE_LAYOUT: readonly ColumnSource[] = Object.freeze([
  ...EVENT_COLUMNS.map((c): ColumnSource => (c.type === 'INTEGER' ? ['int', indexIn(INT_COLUMNS, c.name)] : ['text', indexIn(TEXT_COLUMNS, c.name)])),
  ['hash'] as const,
]);

function indexIn(list: readonly string[], name: string): number {
  const i = list.indexOf(name);
  // A column added to EVENT_COLUMNS must be added here and to Packer.pack (and to the Arrow schema).
  if (i < 0) throw new Error(`recorder/columnar.ts does not know the column ${name}; add it`);
  return i;
}

if (INT_COLUMNS.length + TEXT_COLUMNS.length !== EVENT_COLUMNS.length) {
  throw new Error('recorder/columnar.ts lists columns that EVENT_COLUMNS does not have');
}

/** Packs event batches into ColumnarBatch, keeping one dictionary per TEXT column across batches. */
export class Packer {
  private readonly dictionaries: readonly StringDictionary[];

  constructor(limit?: number) {
    this.dictionaries = TEXT_COLUMNS.map((name) => new StringDictionary(limit, name === 'kind' ? EVENT_KINDS : []));
  }

  pack(events: readonly TraceEvent[]): ColumnarBatch {
    const n = events.length;
    const d = this.dictionaries;
    for (const dict of d) dict.begin(n);
    const [kind, routine, driver, device, major, dpc, lock, api, detail] = d as [StringDictionary, StringDictionary, StringDictionary, StringDictionary, StringDictionary, StringDictionary, StringDictionary, StringDictionary, StringDictionary];
    const ints = new Float64Array(INT_COLUMNS.length * n);
    const codes = new Int16Array(TEXT_COLUMNS.length * n);
    const hashes: string[] = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const e: EventEnvelope = events[i]!;
      ints[i] = e.seq;
      ints[n + i] = e.timeNs;
      ints[2 * n + i] = e.cpu ?? NaN;
      ints[3 * n + i] = e.irql ?? NaN;
      ints[4 * n + i] = e.activation ?? NaN;
      ints[5 * n + i] = e.irp ?? NaN;
      ints[6 * n + i] = e.master ?? NaN;
      ints[7 * n + i] = e.loc ?? NaN;
      ints[8 * n + i] = e.status ?? NaN;
      ints[9 * n + i] = e.newIrql ?? NaN;
      ints[10 * n + i] = e.vector ?? NaN;
      ints[11 * n + i] = e.result ?? NaN;
      ints[12 * n + i] = e.thread ?? NaN;
      codes[i] = kind.code(e.kind);
      codes[n + i] = e.routine === null ? -1 : routine.code(e.routine);
      codes[2 * n + i] = e.driver === null ? -1 : driver.code(e.driver);
      codes[3 * n + i] = e.device === null ? -1 : device.code(e.device);
      codes[4 * n + i] = e.major === null ? -1 : major.code(e.major);
      codes[5 * n + i] = e.dpc === null ? -1 : dpc.code(e.dpc);
      codes[6 * n + i] = e.lock === null ? -1 : lock.code(e.lock);
      codes[7 * n + i] = e.api === null ? -1 : api.code(e.api);
      codes[8 * n + i] = e.detail === null ? -1 : detail.code(e.detail);
      hashes[i] = e.hash;
    }
    const added: (readonly string[])[] = [];
    let resets = 0;
    for (let c = 0; c < d.length; c++) {
      const { added: strings, reset } = d[c]!.end();
      added.push(strings);
      if (reset) resets |= 1 << c;
    }
    const joined = hashes.join('');
    if (joined.length !== n * HASH_LENGTH) throw new Error(`a hash in events ${events[0]?.seq}…${events[n - 1]?.seq} is not ${HASH_LENGTH} characters`);
    return { length: n, ints, codes, added, resets, hashes: joined };
  }
}

/**
 * Mirrors a Packer's dictionaries on the consuming side: apply each batch in order, then look
 * codes up in `strings[c]`.
 */
export class DictionaryMirror {
  readonly strings: string[][] = TEXT_COLUMNS.map(() => []);

  apply(batch: Pick<ColumnarBatch, 'added' | 'resets'>): void {
    for (let c = 0; c < this.strings.length; c++) {
      if ((batch.resets & (1 << c)) !== 0) this.strings[c] = [];
      const into = this.strings[c]!;
      for (const s of batch.added[c]!) into.push(s);
    }
  }
}
