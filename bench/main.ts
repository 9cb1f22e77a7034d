import { best, envelopeOnce, simulateOnce } from './simulate.js';

/**
 * `npm run bench`: throughput as ratios to baselines measured in the same run, and peak RSS.
 * The machines are shared and noisy: each figure is the best of several runs.
 */
const EVENTS = Number(process.env.IRPTRACE_BENCH_EVENTS ?? 1_000_000);
const RUNS = Number(process.env.IRPTRACE_BENCH_RUNS ?? 3);

const fmt = (n: number): string => `${(n / 1e6).toFixed(2)} M/s`;

console.log(`irptrace bench: ${EVENTS.toLocaleString('en-US')} events, best of ${RUNS} runs, Node ${process.version}`);
const envelope = await best('baseline: build + hash + freeze + Subject.next per event', RUNS, () => envelopeOnce(EVENTS));
const simulate = await best('simulate demo (2 CPUs), stream only', RUNS, () => simulateOnce(EVENTS));
const rows = [envelope, simulate];
const width = Math.max(...rows.map((r) => r.name.length));
for (const r of rows) {
  console.log(`  ${r.name.padEnd(width)}  ${fmt(r.eventsPerSecond).padStart(10)}   runs: ${r.runs.map(fmt).join(', ')}`);
}
console.log(`  simulate / baseline: ${(simulate.eventsPerSecond / envelope.eventsPerSecond).toFixed(3)}   (target: 2.00 M events/s simulated)`);
const rss = process.resourceUsage().maxRSS / 1024;
console.log(`  peak RSS: ${rss.toFixed(0)} MB`);
