/**
 * The operator through control-plane outages, on a control plane of its own (the run's shared one
 * must not go down under other tests): kube-apiserver killed and restarted, then etcd killed and
 * restarted on the same data. Two replicas; neither process exits; both keep answering /healthz,
 * /readyz (saying what is degraded) and /metrics; one leads again within the lease duration plus
 * 10 s of the apiserver answering; leading periods never overlap and every version is issued by
 * the replica leading at the time.
 */
import { jest } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import {
  startControlPlane,
  type ControlPlane,
  type ControlPlaneComponent,
} from '../../support/control-plane.js';
import { clusterApi, isReady, managedClusterSpec, waitFor } from '../../support/operator-fixtures.js';
import { startOperatorProcess, type LogLine, type OperatorProcess } from '../../support/operator-process.js';

jest.setTimeout(600_000);

/** The operator's defaults (src/kube/leader-election.ts); recovery is promised within this + 10 s. */
const LEASE_DURATION_MS = 15_000;

let controlPlane: ControlPlane | undefined;
const operators: OperatorProcess[] = [];
afterAll(async () => {
  for (const operator of operators) operator.kill('SIGKILL');
  await Promise.all(operators.map((operator) => operator.exited));
  await controlPlane?.stop();
});

const at = (line: LogLine) => Date.parse(String(line['timestamp']));
const leads = (line: LogLine) => line.message === 'leading: reconciling';
const loses = (line: LogLine) => line.message.startsWith('lost leadership');

/** [start, end) of each period a replica led, from its own log (end Infinity while leading). */
function leadingPeriods(operator: OperatorProcess): Array<[number, number]> {
  const periods: Array<[number, number]> = [];
  for (const line of operator.logs) {
    if (leads(line)) periods.push([at(line), Infinity]);
    const open = periods.at(-1);
    if (loses(line) && open && open[1] === Infinity) open[1] = at(line);
  }
  return periods;
}

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.text() };
}

describe('operator: control-plane outages', () => {
  it('stays up through an apiserver and an etcd restart, competes again and resumes', async () => {
    controlPlane = await startControlPlane();
    const api = clusterApi(controlPlane.adminKubeConfig());
    const namespace = 'outage';
    await api.core().createNamespace({ body: { metadata: { name: namespace } } });
    await api.createServerCaConfigMap(namespace);
    await api.createClusterRef(namespace, 'orders', managedClusterSpec());
    const start = (identity: string) => {
      const operator = startOperatorProcess({
        kubeconfig: controlPlane!.kubeconfigPath,
        namespace,
        identity,
      });
      operators.push(operator);
      return operator;
    };
    const replicas = [start('replica-a'), start('replica-b')];
    await waitFor(async () => replicas.some((r) => r.logs.some(leads)), Boolean, 'a leader', 120_000);
    const ports = await Promise.all(replicas.map((replica) => replica.metricsPort()));
    const bundleSpec = { clusterRef: { name: 'orders' }, platforms: ['nodejs'] };
    await api.createBundle(namespace, 'before', bundleSpec);
    await waitFor(() => api.getBundle(namespace, 'before'), isReady, 'the first bundle Ready', 120_000);

    const outage = async (component: ControlPlaneComponent, bundle: string) => {
      const lostBefore = replicas.map((replica) => replica.logs.filter(loses).length);
      const ledBefore = replicas.map((replica) => replica.logs.filter(leads).length);
      await controlPlane!.stopComponent(component);
      // The leader finds out within its renew deadline (10 s), stops writing and stays up.
      await waitFor(
        async () => replicas.map((replica) => replica.logs.filter(loses).length),
        (lost) => lost.some((count, i) => count > (lostBefore[i] ?? 0)),
        `the leader to notice the ${component} outage`,
        60_000,
      );
      for (const [i, port] of ports.entries()) {
        expect(await get(port, '/healthz')).toEqual({ status: 200, body: 'ok\n' });
        // A standby finds out at its next attempt, which may wait for a hanging call to time out.
        const readyz = await waitFor(
          () => get(port, '/readyz'),
          (answer) => answer.body.includes('[-]lease-reachable degraded'),
          'readiness to say the Lease is out of reach',
          30_000,
        );
        expect(readyz.status).toBe(200);
        expect(readyz.body).toContain('ready (degraded)');
        expect((await get(port, '/metrics')).body).toContain('scb_reconcile_total');
        expect(replicas[i]?.logs.filter(leads).length).toBe(ledBefore[i]);
      }
      await controlPlane!.startComponent(component);
      const backAt = Date.now();
      const leader = await waitFor(
        async () => replicas.find((replica, i) => replica.logs.filter(leads).length > (ledBefore[i] ?? 0)),
        (found) => found !== undefined,
        `a leader again after ${component} is back`,
        120_000,
      );
      const ledAt = at(leader!.logs.filter(leads).at(-1)!);
      expect(ledAt - backAt).toBeLessThan(LEASE_DURATION_MS + 10_000);
      // It writes again: a bundle created now is issued.
      await api.createBundle(namespace, bundle, bundleSpec);
      await waitFor(() => api.getBundle(namespace, bundle), isReady, `${bundle} Ready`, 120_000);
    };

    await outage('kube-apiserver', 'after-apiserver');
    await outage('etcd', 'after-etcd');

    // No process restarted, and both answer as before.
    for (const replica of replicas) {
      expect(replica.logs.filter((line) => line.message === 'operator started')).toHaveLength(1);
      expect(await Promise.race([replica.exited, Promise.resolve('running')])).toBe('running');
    }
    // Writes never from two leaders at once: the leading periods do not overlap, and each version
    // was issued inside its issuer's period.
    const periods = replicas.map(leadingPeriods);
    const [a = [], b = []] = periods;
    for (const [startA, endA] of a) {
      for (const [startB, endB] of b) expect(startA < endB && startB < endA).toBe(false);
    }
    const issued = replicas.flatMap((replica, i) =>
      replica.logs
        .filter((line) => line.message === 'issued bundle version')
        .map((line) => ({
          name: line['name'],
          inside: periods[i]!.some(([s, e]) => at(line) >= s && at(line) < e),
        })),
    );
    expect(issued.map((entry) => entry.name).sort()).toEqual(['after-apiserver', 'after-etcd', 'before']);
    expect(issued.every((entry) => entry.inside)).toBe(true);
    const secrets = await controlPlane
      .adminKubeConfig()
      .makeApiClient(CoreV1Api)
      .listNamespacedSecret({ namespace });
    const versionSecrets = secrets.items.filter(
      (s) => s.metadata?.labels?.['scb-operator.io/role'] === 'bundle-version',
    );
    expect(versionSecrets).toHaveLength(3);
  });
});
