// `npm run generate:types`: rewrites src/api/v1alpha1/generated.ts from the CRDs in crds/.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GENERATED_TYPES_FILE, renderApiTypes } from './api-types.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const target = path.join(repoRoot, GENERATED_TYPES_FILE);
await mkdir(path.dirname(target), { recursive: true });
await writeFile(target, await renderApiTypes(repoRoot));
console.log(`wrote ${GENERATED_TYPES_FILE}`);
