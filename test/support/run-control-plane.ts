/**
 * Runs a test control plane outside Jest (the demo, manual poking) until Ctrl-C:
 *   node --import tsx test/support/run-control-plane.ts [--no-crds] [--exit-when-ready]
 * Prints the connection file and kubeconfig paths; `--exit-when-ready` stops right after start
 * (a smoke check, and how start-up time is measured). While it runs, lines on stdin inject
 * faults: `stop etcd`, `start etcd`, `stop kube-apiserver`, `start kube-apiserver` (the data stays).
 */
import { createInterface } from 'node:readline';
import { exitOnSignals, startControlPlane, type ControlPlaneComponent } from './control-plane.js';

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
  const components = new Set<string>(['etcd', 'kube-apiserver']);
  for await (const line of createInterface({ input: process.stdin })) {
    const [verb, name = ''] = line.trim().split(/\s+/);
    if ((verb !== 'stop' && verb !== 'start') || !components.has(name)) {
      if (line.trim() !== '') console.error(`[control-plane] unknown command: ${line.trim()}`);
      continue;
    }
    const component = name as ControlPlaneComponent;
    await (
      verb === 'stop' ? controlPlane.stopComponent(component) : controlPlane.startComponent(component)
    ).catch((error: unknown) => console.error(`[control-plane] ${verb} ${name} failed: ${String(error)}`));
  }
}
