import { readFileSync } from 'node:fs';

/** Who produced a bundle, recorded in manifest.json. */
export interface GeneratorInfo {
  name: string;
  version: string;
}

/**
 * Reads our own package.json. The relative path holds both for `src/bundle/` (tsx, tests) and
 * `dist/bundle/` (the published CLI and the operator image). Call it once at start-up.
 */
export function readGeneratorInfo(): GeneratorInfo {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    name: string;
    version: string;
  };
  return { name: pkg.name, version: pkg.version };
}
