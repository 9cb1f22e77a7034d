const integer = new Intl.NumberFormat('en-US');

/**
 * One self-overwriting status line on a terminal (stderr): events so far and the rate. Redrawn at
 * most a few times a second; cleared before anything else is printed.
 */
export class ProgressLine {
  private lastDraw = 0;
  private shown = false;

  constructor(private readonly out: NodeJS.WriteStream) {}

  update(events: number, elapsedMs: number): void {
    if (elapsedMs - this.lastDraw < 250) return;
    this.lastDraw = elapsedMs;
    const rate = elapsedMs > 0 ? Math.round(events / (elapsedMs / 1000)) : 0;
    this.out.write(`\r\x1b[2K${integer.format(events)} events, ${integer.format(rate)} events/s`);
    this.shown = true;
  }

  clear(): void {
    if (!this.shown) return;
    this.out.write('\r\x1b[2K');
    this.shown = false;
  }
}
