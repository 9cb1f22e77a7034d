import { InvalidArgumentError } from 'commander';

/**
 * A commander argument parser for an integer option within [min, max]: decimal digits only, so
 * `--seed 1.5`, `--seed 0x10` and `--seed abc` are rejected rather than silently coerced.
 */
export function integerIn(min: number, max: number = Number.MAX_SAFE_INTEGER): (value: string) => number {
  const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
  return (value) => {
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    // Digits past 2^53 - 1 are an integer JavaScript cannot hold exactly: say where the range ends.
    if (/^\d+$/.test(value) && !Number.isSafeInteger(n)) throw new InvalidArgumentError(`expected an integer from ${min} to ${max} (${value} is too large)`);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer ${range}`);
    return n;
  };
}

/**
 * A commander argument parser for `--out <prefix>`: the prefix must name a file (`traces/run`,
 * `run.sqlite`), not a directory (`traces/`) or nothing, which would write hidden `.sqlite` files.
 */
export function tracePrefix(value: string): string {
  const name = value.replace(/\.(sqlite|arrow)$/, '');
  if (name === '' || /[\\/]$/.test(name) || /(^|[\\/])\.?\.?$/.test(name)) {
    throw new InvalidArgumentError('expected a path prefix that names a file, such as traces/my-run (it writes traces/my-run.sqlite and traces/my-run.arrow)');
  }
  return value;
}
