import { Worker } from 'node:worker_threads';

/**
 * A helper thread of this process, started on first use and kept — unref'd, so it never keeps a
 * process alive. A thread that fails to start or ends is dropped (`get()` gives null from then on),
 * and its callers do the work themselves: a thread only ever saves time.
 * The replayer's chain-checking thread and SQLite page thread are each one of these.
 */
export class LazyThread {
  private worker: Worker | null | undefined;
  private enabled: boolean;
  private isReady: Promise<boolean> = Promise.resolve(false);

  /** `disabledBy`: the environment variable that, set to 0, turns the thread off. */
  constructor(private readonly script: URL, disabledBy: string) {
    this.enabled = process.env[disabledBy] !== '0';
  }

  /** The thread, started if need be; null when it is off or could not start. */
  get(): Worker | null {
    if (!this.enabled) return null;
    if (this.worker === undefined) {
      try {
        const started = new Worker(this.script);
        started.unref();
        const drop = (): void => {
          if (this.worker === started) this.worker = null;
        };
        started.on('error', drop);
        started.on('exit', drop);
        this.worker = started;
        // The thread's first message says it takes jobs.
        this.isReady = new Promise((resolve) => {
          started.once('message', () => resolve(true));
          started.once('error', () => resolve(false));
          started.once('exit', () => resolve(false));
        });
      } catch {
        this.worker = null;
      }
    }
    return this.worker;
  }

  /** Starts the thread if need be; resolves true once it takes jobs (false: there is none). */
  ready(): Promise<boolean> {
    this.get();
    return this.isReady;
  }

  /** Turns using the thread on or off for this process (the bench compares both); returns the previous setting. */
  use(on: boolean): boolean {
    const was = this.enabled;
    this.enabled = on;
    return was;
  }
}
