#!/usr/bin/env node
// Entry point: runs the TypeScript CLI through tsx, so `npm install` alone leaves a working `npx irptrace`.
import { register as registerHooks } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
// Registered after tsx, so it runs first in the resolve chain (hooks chain last-in, first-out).
registerHooks('../cli/resolve-hook.mjs', import.meta.url, {
  data: { packageJsonUrl: new URL('../package.json', import.meta.url).href },
});

await import('../cli/main.ts');
