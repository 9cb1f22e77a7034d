import type { IoRequest, SeededRandom } from '../../model/index.js';

/**
 * The built-in mixed workload: reads of 4 KiB to 256 KiB (about a third of them long enough to be
 * split), writes, and a few device controls, at random offsets.
 */
export function* mixedWorkload(rng: SeededRandom, count: number): Generator<IoRequest> {
  for (let i = 0; i < count; i++) {
    const roll = rng.int(0, 99);
    const length = 4096 * rng.pick([1, 2, 4, 8, 16, 32, 64]);
    const offset = 512 * rng.int(0, 1 << 20);
    if (roll < 60) yield { major: 'read', length, offset };
    else if (roll < 90) yield { major: 'write', length, offset };
    else yield { major: 'ioctl', length: 64, ioControlCode: 0x2d1400 };
  }
}

/** Only reads: the workload of scenarios whose bug is on the read path. */
export function* readWorkload(rng: SeededRandom, count: number): Generator<IoRequest> {
  for (let i = 0; i < count; i++) yield { major: 'read', length: 4096 * rng.pick([1, 4, 16, 32, 64]), offset: 512 * rng.int(0, 1 << 20) };
}

/**
 * Device controls mixed with reads and writes (about 40% device controls): the workload of
 * scenarios whose bug is on the device-control path.
 */
export function* deviceControlWorkload(rng: SeededRandom, count: number): Generator<IoRequest> {
  for (let i = 0; i < count; i++) {
    const roll = rng.int(0, 99);
    if (roll < 40) yield { major: 'ioctl', length: 64, ioControlCode: 0x2d1400 };
    else yield { major: roll < 70 ? 'read' : 'write', length: 4096 * rng.pick([1, 2, 4, 8, 16]), offset: 512 * rng.int(0, 1 << 20) };
  }
}
