import { simulateOnce } from './simulate.js';

/** `node --import tsx bench/simulate-rss.ts N`: simulate N demo events in a fresh process; its peak RSS. */
const events = Number(process.argv[2] ?? 10_000_000);
const rate = await simulateOnce(events);
console.log(`  simulate ${events.toLocaleString('en-US')} events: ${(rate / 1e6).toFixed(2)} M/s, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (target < 300 MB)`);
