import { InvalidArgumentError } from 'commander';

/**
 * A commander argument parser for an integer option within [min, max]: decimal digits only, so
 * `--seed 1.5`, `--seed 0x10` and `--seed abc` are rejected rather than silently coerced.
 */
export function integerIn(min: number, max: number = Number.MAX_SAFE_INTEGER): (value: string) => number {
  const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
  return (value) => {
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer ${range}`);
    return n;
  };
}
