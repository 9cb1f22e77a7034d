import { pathToFileURL } from 'node:url';
import { eventsPerSecond, recordOnce, type Measure } from './recorder.js';

/**
 * Does the SQLite writer thread beat the in-thread writer? `node --import tsx bench/sqlite-writer.ts
 * [events] [rounds]` records the demo workload with each placement, SQLite alone and with Arrow,
 * in alternating order for `rounds` rounds (the machine is shared: alternation spreads the noise
 * over both), and prints the median and best of each, with and without the index build at the end.
 */
export async function compareWriters(events: number, rounds: number): Promise<Map<string, Measure[]>> {
  const variants: [string, () => Promise<Measure>][] = [
    ['sqlite, in-thread', () => recordOnce(events, ['sqlite'], 'inline')],
    ['sqlite, writer thread', () => recordOnce(events, ['sqlite'], 'worker')],
    ['sqlite+arrow, in-thread', () => recordOnce(events, ['sqlite', 'arrow'], 'inline')],
    ['sqlite+arrow, writer thread', () => recordOnce(events, ['sqlite', 'arrow'], 'worker')],
  ];
  const results = new Map<string, Measure[]>(variants.map(([name]) => [name, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? variants : [...variants].reverse();
    for (const [name, run] of order) results.get(name)!.push(await run());
  }
  return results;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const k = (x: number): string => `${(x / 1000).toFixed(0)}k/s`;

async function main(): Promise<void> {
  const events = Number(process.argv[2] ?? 1_000_000);
  const rounds = Number(process.argv[3] ?? 3);
  console.log(`SQLite writer placement: ${events.toLocaleString('en-US')} demo events, ${rounds} alternating rounds`);
  for (const [name, ms] of await compareWriters(events, rounds)) {
    const all = ms.map(eventsPerSecond);
    const recording = ms.map((m) => m.events / (m.wallSeconds - (m.finishSeconds ?? 0)));
    const cpu = ms.map((m) => m.cpuSeconds);
    console.log(`  ${name.padEnd(28)} median ${k(median(all))} (best ${k(Math.max(...all))}); without the index build median ${k(median(recording))} (best ${k(Math.max(...recording))}); cpu median ${median(cpu).toFixed(2)} s`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
