import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { GENERATED_TYPES_FILE, renderApiTypes } from '../../../tools/codegen/api-types.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');

describe('src/api/v1alpha1/generated.ts', () => {
  it('matches what the CRDs generate (otherwise run npm run generate:types)', async () => {
    const committed = await readFile(path.join(repoRoot, GENERATED_TYPES_FILE), 'utf8');
    const regenerated = await renderApiTypes(repoRoot);
    if (committed !== regenerated) {
      throw new Error(
        `${GENERATED_TYPES_FILE} is out of date with crds/*.yaml: run npm run generate:types and commit the result`,
      );
    }
  });
});
