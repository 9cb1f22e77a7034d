// Module hooks registered by bin/irptrace.js, for the scenario files users write anywhere on disk.
//
// 1. The bare specifier 'irptrace' (and any future 'irptrace/<subpath>') resolves as a self-reference
//    from this package's root, so package.json "exports" stays the one map of the public surface.
// 2. A .ts or .js file outside any "type": "module" package is CommonJS to tsx, and Node 20 then fails
//    on its `import`s with a confusing ERR_REQUIRE_CYCLE_MODULE. Scenarios are ES modules: as with
//    Node's own syntax detection, such a file that does not compile as CommonJS is loaded as one.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileFunction } from 'node:vm';

let packageJsonUrl;

export function initialize(data) {
  packageJsonUrl = data.packageJsonUrl;
}

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'irptrace' || specifier.startsWith('irptrace/')) {
    return nextResolve(specifier, { ...context, parentURL: packageJsonUrl });
  }
  const resolved = await nextResolve(specifier, context);
  if (resolved.format === 'commonjs' && isUserSourceFile(resolved.url) && !compilesAsCommonJs(resolved.url)) {
    return { ...resolved, format: 'module' };
  }
  return resolved;
}

function isUserSourceFile(url) {
  return url.startsWith('file:') && /\.(?:js|jsx|ts|tsx)$/.test(url) && !url.includes('/node_modules/');
}

function compilesAsCommonJs(url) {
  try {
    compileFunction(readFileSync(fileURLToPath(url), 'utf8'), ['exports', 'require', 'module', '__filename', '__dirname']);
    return true;
  } catch {
    return false;
  }
}
