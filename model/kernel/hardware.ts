import type { SeededRandom } from '../rng.js';

/** A device register as driver code sees it: pass it to READ_REGISTER_ULONG / WRITE_REGISTER_ULONG. */
export interface DeviceRegister {
  readonly name: 'Command' | 'Status';
  readonly hardware: DeviceHardware;
}

/** What a scenario says about a piece of hardware. */
export interface HardwareSpec {
  /** Device name; the PDO is named after it. */
  readonly name: string;
  /** Interrupt vector. */
  readonly vector: number;
  /** DIRQL, 3–12. */
  readonly irql: number;
  /** Fixed part of a transfer's latency, as [min, max] ns drawn uniformly. Default [2000, 12000]. */
  readonly latencyNs?: readonly [number, number];
  /** Added per byte transferred. Default 0.25 ns (4 GB/s). */
  readonly nsPerByte?: number;
}

/**
 * A simple DMA device. Writing N > 0 to Command starts a transfer of N bytes; when it finishes,
 * after a latency drawn from the seeded source, the device counts it in Status and asserts its
 * interrupt (latched: one interrupt per finished transfer). Reading Status tells how many finished
 * transfers are not yet acknowledged; writing K to Status acknowledges K of them.
 */
export class DeviceHardware {
  readonly Registers: { readonly Command: DeviceRegister; readonly Status: DeviceRegister };
  private unacknowledged = 0;
  private readonly latency: readonly [number, number];
  private readonly nsPerByte: number;

  constructor(
    readonly spec: HardwareSpec,
    private readonly rng: SeededRandom,
    /** Schedules `fire` at simulated time `at`. */
    private readonly schedule: (at: number, fire: () => void) => void,
    /** Asserts the device's interrupt line now. */
    private readonly assertInterrupt: (hardware: DeviceHardware) => void,
  ) {
    this.Registers = { Command: { name: 'Command', hardware: this }, Status: { name: 'Status', hardware: this } };
    this.latency = spec.latencyNs ?? [2000, 12000];
    this.nsPerByte = spec.nsPerByte ?? 0.25;
  }

  write(register: DeviceRegister, value: number, now: number): void {
    if (register.name === 'Status') {
      this.unacknowledged = Math.max(0, this.unacknowledged - value);
      return;
    }
    if (value <= 0) return;
    const at = now + this.rng.int(this.latency[0], this.latency[1]) + Math.round(value * this.nsPerByte);
    this.schedule(at, () => {
      this.unacknowledged++;
      this.assertInterrupt(this);
    });
  }

  read(register: DeviceRegister): number {
    return register.name === 'Status' ? this.unacknowledged : 0;
  }
}
