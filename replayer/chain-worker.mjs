// The chain-checking thread's entry (see chain-pool.ts). Node 20 workers do not inherit the main
// thread's TypeScript loader, so this plain module registers tsx and then loads the thread's code,
// which calls model/hash.ts's own mixWords (through column-chain.ts) rather than a copy of it.
import { register } from 'tsx/esm/api';

register();
await import('./chain-worker.ts');
