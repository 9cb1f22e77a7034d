// How query rows are printed (queries/format.ts): the table, JSON and CSV forms.
import { describe, expect, it } from 'vitest';
import { formatRows } from '../../queries/format.js';

describe('formatRows', () => {
  it('prints a table of any length: 200,000 rows, each column as wide as its widest cell', () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => [i, i === 123_456 ? 'the longest cell' : 'x']);
    const lines = formatRows({ columns: ['seq', 'what'], rows }, 'table').split('\n');
    expect(lines).toHaveLength(200_000 + 3);
    expect(lines[1]).toBe(`${'-'.repeat(6)}  ${'-'.repeat('the longest cell'.length)}`);
    expect(lines.at(-1)).toBe('(200000 rows)');
  });

  it('JSON keeps every column when names repeat (e.irp, l.irp): the later ones get _2, _3', () => {
    const json = JSON.parse(formatRows({ columns: ['seq', 'irp', 'irp', 'irp'], rows: [[1, 28, 29, 30]] }, 'json')) as unknown[];
    expect(json).toEqual([{ seq: 1, irp: 28, irp_2: 29, irp_3: 30 }]);
  });
});
