/**
 * The integration run's control plane, started by global-setup.ts through tsx (see there why).
 * Jest runs global setup in its parent process; the workers inherit `process.env`, so the
 * connection file's path and the bin folder reach every test through it.
 */
import path from 'node:path';
import { controlPlaneBinDir, repositoryRoot } from './control-plane-binaries.js';
import { exitOnSignals, startControlPlane, type ControlPlane } from './control-plane.js';
import { controlPlaneConnectionEnv } from './kube.js';
import { prepareLeakScanDir } from './leak-scan-output.js';

/** Global setup and teardown share the parent's globalThis, which is how the handle travels. */
export interface GlobalWithControlPlane {
  scbControlPlane?: ControlPlane;
}

export async function startRunControlPlane(): Promise<void> {
  const binDir = controlPlaneBinDir();
  process.env['SCB_CONTROL_PLANE_BIN'] = binDir;
  // Before any operator starts: every process of the run records into it (see leak-scan.test.ts).
  prepareLeakScanDir(path.join(repositoryRoot, 'test/integration/__output__/leak-scan'));
  exitOnSignals();
  const controlPlane = await startControlPlane({
    binDir,
    log: (message) => console.log(`[control-plane] ${message}`),
  });
  (globalThis as GlobalWithControlPlane).scbControlPlane = controlPlane;
  process.env[controlPlaneConnectionEnv] = controlPlane.connectionPath;
  console.log(
    `[control-plane] ${controlPlane.connection.kubernetesVersion} at ${controlPlane.server} ready in ` +
      `${controlPlane.startupMs} ms; kubeconfig: ${controlPlane.kubeconfigPath}`,
  );
}
