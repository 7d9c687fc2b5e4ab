/**
 * Runs a test control plane outside Jest (the demo, manual poking) until Ctrl-C:
 *   node --import tsx test/support/run-control-plane.ts [--no-crds] [--exit-when-ready]
 * Prints the connection file and kubeconfig paths; `--exit-when-ready` stops right after start
 * (a smoke check, and how start-up time is measured).
 */
import { exitOnSignals, startControlPlane } from './control-plane.js';

const args = new Set(process.argv.slice(2));
exitOnSignals();
const controlPlane = await startControlPlane({
  ...(args.has('--no-crds') ? { crdDir: null } : {}),
  log: (message) => console.error(`[control-plane] ${message}`),
});
console.log(
  JSON.stringify({
    connectionPath: controlPlane.connectionPath,
    kubeconfigPath: controlPlane.kubeconfigPath,
    server: controlPlane.server,
    startupMs: controlPlane.startupMs,
    processes: controlPlane.processes,
  }),
);
if (args.has('--exit-when-ready')) {
  await controlPlane.stop();
} else {
  console.error(`[control-plane] running; export KUBECONFIG=${controlPlane.kubeconfigPath}; Ctrl-C stops it`);
}
