/**
 * Jest loads global setup through a CommonJS require hook, where our `./x.js` imports of `.ts`
 * files do not resolve and ESM-only code cannot run. tsx loads the real setup as native ESM.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import type * as JestControlPlaneModule from './jest-control-plane.js';

export default async function globalSetup(
  _globalConfig: unknown,
  project: { rootDir: string },
): Promise<void> {
  const entry = pathToFileURL(path.join(project.rootDir, 'test/support/jest-control-plane.ts')).href;
  const { startRunControlPlane } = (await tsImport(entry, import.meta.url)) as typeof JestControlPlaneModule;
  await startRunControlPlane();
}
