// The last step of `npm run build`: scbctl as one CommonJS file, and the bin that starts it.
//
//   node tools/build/bundle-scbctl.mjs [DIST]      (default: dist, after tsc has compiled src/ into it)
//
// Start-up is what a pipeline running scbctl per bundle pays. tsc's output is some 60 ES modules
// for `generate`; Node 20's ESM loader resolves, reads, links and evaluates each one, and importing
// node:crypto as an ES module also builds its WebCrypto half. One CommonJS file halved the CPU a
// `generate` takes above a bare `node -e 0` (bench/README.md, cli-generate.ts).
//
// In the file: tsc's JavaScript (not src/: one compiler decides what TypeScript means), commander
// and js-yaml, which every command loads. Every other dependency stays in node_modules, required
// only by the command that needs it (the Kubernetes client by fetch/rotate/versions, the PKCS#12
// reader by verify); @kubernetes/client-node is an ES module, which require() loads on the
// Node.js 20.19+ that package.json's engines asks for.
//
// The bin, dist/cli/scbctl.cjs, turns on Node's on-disk compile cache where there is one
// (module.enableCompileCache, Node.js 22.1+) before it loads the bundle, so later runs skip
// compiling it; Node.js 20 runs without. The cache is the user's own ($XDG_CACHE_HOME or
// ~/.cache, then scbctl/): Node's default, a folder under the shared /tmp, could be made by another
// user and hold compiled code the next scbctl would run. NODE_COMPILE_CACHE chooses another
// folder, NODE_DISABLE_COMPILE_CACHE=1 turns it off; a folder that cannot be written is skipped.
import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';

const root = path.resolve(import.meta.dirname, '../..');
const dist = path.resolve(process.argv[2] ?? path.join(root, 'dist'));
const { dependencies } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const BUNDLED = ['commander', 'js-yaml'];

await build({
  entryPoints: [path.join(dist, 'cli/scbctl.js')],
  // Beside scbctl.js, so relative URLs (the generator's ../../package.json) resolve alike.
  outfile: path.join(dist, 'cli/scbctl.bundle.cjs'),
  bundle: true,
  platform: 'node',
  target: 'node20.19',
  format: 'cjs',
  external: Object.keys(dependencies).filter((name) => !BUNDLED.includes(name)),
  // CommonJS has no import.meta: the bundle's own file URL stands in for each module's. The
  // banner comes before esbuild's "use strict", so it repeats it: ES modules are strict code.
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: "'use strict';\nconst importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});

writeFileSync(
  path.join(dist, 'cli/scbctl.cjs'),
  `#!/usr/bin/env node
'use strict';
// scbctl's bin (tools/build/bundle-scbctl.mjs): Node's compile cache where it has one, then the bundle.
const { enableCompileCache } = require('node:module');
if (enableCompileCache && !process.env.NODE_COMPILE_CACHE) {
  const { homedir } = require('node:os');
  const { join } = require('node:path');
  enableCompileCache(join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'scbctl'));
}
require('./scbctl.bundle.cjs').main();
`,
  { mode: 0o755 },
);
