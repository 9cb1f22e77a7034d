/**
 * Codes for a column's repeating strings (kind, routine, device, …): the first distinct string
 * gets 0, the next 1, and so on. Consumers learn the strings a batch introduced (`added`, in code
 * order) and mirror the dictionary, so a string crosses a thread or lands in an Arrow dictionary
 * once, not once per event.
 *
 * Memory stays bounded however many distinct strings a run produces (a DPC named per IRP, say):
 * when a batch might push the dictionary past `limit`, it restarts empty at that batch boundary
 * (`reset`), and consumers drop their mirror (Arrow: a replacement dictionary, legal in the IPC
 * stream format).
 */
export class StringDictionary {
  private readonly codes = new Map<string, number>();
  private added: string[] = [];
  private restarted = false;

  constructor(
    /** Most codes alive at once; 32767 keeps codes in an Int16. */
    readonly limit: number = 32767,
    /** Strings given codes 0, 1, … up front (the closed vocabulary of `kind`). */
    private readonly seed: readonly string[] = [],
  ) {
    this.seedCodes();
  }

  get size(): number {
    return this.codes.size;
  }

  /**
   * Starts a batch of `length` events: restarts the dictionary if that many new strings could
   * overflow it, so that codes never change meaning inside a batch.
   */
  begin(length: number): void {
    if (this.codes.size + length > this.limit) {
      this.codes.clear();
      this.added = [];
      this.restarted = true;
      this.seedCodes();
    }
  }

  /** The code of `s`, assigning the next one if it is new. */
  code(s: string): number {
    let c = this.codes.get(s);
    if (c === undefined) {
      c = this.codes.size;
      this.codes.set(s, c);
      this.added.push(s);
    }
    return c;
  }

  /** Ends a batch: the strings it introduced and whether the dictionary restarted before it. */
  end(): { readonly added: readonly string[]; readonly reset: boolean } {
    const out = { added: this.added, reset: this.restarted };
    this.added = [];
    this.restarted = false;
    return out;
  }

  private seedCodes(): void {
    for (const s of this.seed) this.code(s);
  }
}
