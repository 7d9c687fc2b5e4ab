/**
 * The Node.js the image ships (the Dockerfile's NODE_IMAGE version), fetched and cached by
 * tools/node-runtime/build.sh, so tests can run the operator on the image's runtime rather than
 * on whichever Node.js runs Jest.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repositoryRoot, toolFolder } from './control-plane-binaries.js';

/** The X.Y.Z of the Dockerfile's `ARG NODE_IMAGE=node:X.Y.Z-<debian>-slim`. */
export function imageNodeVersion(): string {
  const dockerfile = readFileSync(path.join(repositoryRoot, 'Dockerfile'), 'utf8');
  const version = /^ARG NODE_IMAGE=node:(\d+\.\d+\.\d+)-/m.exec(dockerfile)?.[1];
  if (!version) throw new Error('the Dockerfile has no ARG NODE_IMAGE=node:X.Y.Z-...');
  return version;
}

/** The folder with the image's `node`; `SCB_IMAGE_NODE_BIN` skips asking build.sh. */
export function imageNodeBinDir(): string {
  return toolFolder('SCB_IMAGE_NODE_BIN', 'tools/node-runtime/build.sh');
}

/** The `ENV KEY=VALUE` settings of the Dockerfile's final stage, which the operator runs with. */
export function imageEnvironment(): Record<string, string> {
  const dockerfile = readFileSync(path.join(repositoryRoot, 'Dockerfile'), 'utf8').split('\n');
  const finalStage = dockerfile.slice(dockerfile.findLastIndex((line) => line.startsWith('FROM ')));
  const environment: Record<string, string> = {};
  for (const line of finalStage) {
    const setting = /^ENV ([A-Z_][A-Z0-9_]*)=(\S+)$/.exec(line);
    if (setting?.[1] && setting[2]) environment[setting[1]] = setting[2];
  }
  return environment;
}
