// The last step of `npm run build`: scbctl's bin, dist/cli/scbctl.cjs, as one CommonJS file.
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
// Node's compile cache (module.enableCompileCache, Node.js 22.1+) was tried and left out: on
// Node.js 24 its cache was accepted and saved nothing measurable, and it writes to disk.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';

const root = path.resolve(import.meta.dirname, '../..');
const dist = path.resolve(process.argv[2] ?? path.join(root, 'dist'));
const { dependencies } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const BUNDLED = ['commander', 'js-yaml'];

await build({
  entryPoints: [path.join(dist, 'cli/scbctl.js')],
  // Beside scbctl.js, so relative URLs (the generator's ../../package.json) resolve alike.
  outfile: path.join(dist, 'cli/scbctl.cjs'),
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
