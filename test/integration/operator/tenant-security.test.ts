/**
 * A hostile tenant against the real operator on a real kube-apiserver + etcd: a bundle is a
 * credential, so a namespace gets only the identities that are its own (or that the cluster's
 * owner grants), a name the operator would write over is never written over, and no input makes
 * the operator mint Secrets without bound.
 *
 * Its own control plane, with one operator watching every namespace (the cross-namespace rules
 * need several), so the bundles other test files leave behind are not in its way.
 */
import { jest } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { EventsV1Api, type V1Secret } from '@kubernetes/client-node';
import type { SecureConnectionBundle } from '../../../src/api/v1alpha1/index.js';
import { controlPlaneBinDir } from '../../support/control-plane-binaries.js';
import { startControlPlane, type ControlPlane } from '../../support/control-plane.js';
import {
  clusterApi,
  condition,
  isReady,
  managedClusterSpec,
  recordWhileRunning,
  secretFile,
  stopOperator,
  waitFor,
  type ClusterApi,
} from '../../support/operator-fixtures.js';
import { startOperatorProcess, type OperatorProcess } from '../../support/operator-process.js';

jest.setTimeout(240_000);

const trustDomain = 'cassandra.example';
const db = 'db';
const teamA = 'team-a';
const teamB = 'team-b';

let controlPlane: ControlPlane | undefined;
let api: ClusterApi;
let operator: OperatorProcess | undefined;

beforeAll(async () => {
  controlPlane = await startControlPlane({ binDir: controlPlaneBinDir() });
  api = clusterApi(controlPlane.adminKubeConfig());
  for (const [name, labels] of [
    [db, {}],
    [teamA, { tier: 'apps' }],
    [teamB, { tier: 'apps' }],
  ] as const) {
    await api.core().createNamespace({ body: { metadata: { name, labels } } });
  }
  await api.createServerCaConfigMap(db);
  await api.createClusterRef(
    db,
    'main',
    managedClusterSpec({
      access: { namespaces: [teamA, teamB] },
      identity: { trustDomain },
    }),
  );
  operator = recordWhileRunning(
    startOperatorProcess({
      kubeconfig: await controlPlane.kubeconfigFor('scb-operator-tenant-test', ['system:masters']),
      namespace: db,
      allNamespaces: true,
    }),
    controlPlane.adminKubeConfig(),
  );
  await waitFor(() => api.getClusterRef(db, 'main'), isReady, 'the cluster ref Ready');
});

afterAll(async () => {
  await stopOperator(operator, controlPlane?.adminKubeConfig());
  await controlPlane?.stop();
});

const bundle = (namespace: string, name: string, spec: Record<string, unknown> = {}) =>
  api.createBundle(namespace, name, { clusterRef: { name: 'main', namespace: db }, platforms: [], ...spec });

const readyBundle = (namespace: string, name: string) =>
  waitFor(() => api.getBundle(namespace, name), isReady, `${namespace}/${name} Ready`, 90_000);

const refused = (namespace: string, name: string, reason: string) =>
  waitFor(
    () => api.getBundle(namespace, name),
    (object) => condition(object, 'Ready')?.reason === reason,
    `${namespace}/${name} refused with ${reason}`,
    90_000,
  );

const secretNames = async (namespace: string) =>
  ((await api.core().listNamespacedSecret({ namespace })).items ?? []).map((secret) => secret.metadata?.name);

function leafCertificate(secret: V1Secret | undefined): X509Certificate {
  return new X509Certificate(secretFile(secret, 'cert'));
}

const versionCount = (object: SecureConnectionBundle) => object.status?.currentVersion ?? 0;

/** The sum of a counter's series on the operator's /metrics whose labels include `labels`. */
async function metricValue(name: string, labels = ''): Promise<number> {
  const port = await operator!.metricsPort();
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => line.includes(labels))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

const secretCreates = (namespace: string) =>
  metricValue('scb_secret_creates_total', `namespace="${namespace}"`);
const events = () => controlPlane!.adminKubeConfig().makeApiClient(EventsV1Api);

describe('identity policy: an identity belongs to its namespace', () => {
  it("a namespace's default identity is issued, and status names it", async () => {
    await bundle(teamB, 'payments');
    const ready = await readyBundle(teamB, 'payments');
    expect(ready.status?.identity).toEqual({
      commonName: 'payments',
      spiffeID: `spiffe://${trustDomain}/ns/${teamB}/scb/payments`,
      grantedBy: 'NamespaceDefault',
    });
    const certificate = leafCertificate(await api.getSecret(teamB, 'payments-scb'));
    expect(certificate.subject).toContain('CN=payments');
    expect(certificate.subjectAltName).toContain(`URI:spiffe://${trustDomain}/ns/${teamB}/scb/payments`);
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    [
      "another namespace's SPIFFE ID",
      { spiffeID: `spiffe://${trustDomain}/ns/${teamB}/scb/payments`, commonName: 'payments-copy' },
      'spec.identity.spiffeID',
      /is not this namespace's: a bundle in namespace "team-a" may use SPIFFE IDs under spiffe:\/\/cassandra\.example\/ns\/team-a\//,
    ],
    [
      'a SPIFFE ID in kube-system',
      { spiffeID: `spiffe://${trustDomain}/ns/kube-system/sa/admin` },
      'spec.identity.spiffeID',
      /is not this namespace's/,
    ],
    [
      'a foreign trust domain',
      { spiffeID: `spiffe://evil.example/ns/${teamA}/scb/x` },
      'spec.identity.spiffeID',
      /is not this namespace's/,
    ],
    [
      "a common name another namespace's bundle holds",
      { commonName: 'payments' },
      'spec.identity.commonName',
      /"payments" is held by a bundle in namespace "team-b"/,
    ],
    [
      'an organization nobody granted',
      { organizations: ['cassandra-admins'] },
      'spec.identity.organizations',
      /"cassandra-admins" is not granted to namespace "team-a"/,
    ],
  ])(
    'refuses %s: Stalled, IdentityNotAllowed, and no certificate',
    async (_name, identity, field, message) => {
      const name = `imp-${Object.keys(identity).join('-').toLowerCase()}-${Math.random().toString(16).slice(2, 6)}`;
      await bundle(teamA, name, { identity });
      const object = await refused(teamA, name, 'IdentityNotAllowed');
      expect(condition(object, 'Ready')?.message).toMatch(message);
      expect(condition(object, 'Ready')?.message).toContain(field);
      expect(condition(object, 'Stalled')?.status).toBe('True');
      expect(object.status?.currentVersion).toBeUndefined();
      expect((await secretNames(teamA)).filter((secret) => secret?.startsWith(name))).toEqual([]);
    },
  );

  it('a grant gives claims to the namespaces it selects and reserves its common names', async () => {
    await api.patchObject(db, 'cassandraclusterrefs', 'main', {
      spec: {
        access: {
          namespaces: [teamA, teamB],
          identities: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': teamA } },
              spiffeIDs: [`spiffe://${trustDomain}/shared/*`],
              commonNames: ['reporting-*'],
              organizations: ['reporting'],
            },
          ],
        },
      },
    });
    await bundle(teamA, 'reports', {
      identity: {
        commonName: 'reporting-nightly',
        spiffeID: `spiffe://${trustDomain}/shared/reporting`,
        organizations: ['reporting'],
      },
    });
    const ready = await readyBundle(teamA, 'reports');
    expect(ready.status?.identity).toEqual({
      commonName: 'reporting-nightly',
      spiffeID: `spiffe://${trustDomain}/shared/reporting`,
      organizations: ['reporting'],
      grantedBy: `${db}/main spec.access.identities[0]`,
    });
    const certificate = leafCertificate(await api.getSecret(teamA, 'reports-scb'));
    expect(certificate.subject).toMatch(/O=reporting/);

    await bundle(teamB, 'reports-b', { identity: { commonName: 'reporting-weekly' } });
    const object = await refused(teamB, 'reports-b', 'IdentityNotAllowed');
    expect(condition(object, 'Ready')?.message).toMatch(
      /"reporting-weekly" is reserved for other namespaces by CassandraClusterRef db\/main spec\.access\.identities\[0\]/,
    );
  });

  it('a bundle the policy no longer admits keeps what it has, says why, and gets no new version', async () => {
    const before = await readyBundle(teamA, 'reports');
    const published = await api.getSecret(teamA, 'reports-scb');
    await api.patchObject(db, 'cassandraclusterrefs', 'main', {
      spec: { access: { namespaces: [teamA, teamB], identities: null } },
    });
    const object = await refused(teamA, 'reports', 'IdentityNotAllowed');
    expect(condition(object, 'Ready')?.message).toMatch(/spec\.identity\.spiffeID/);
    // Neither a rotation request nor a spec edit is served; the edit shows the operator looked.
    const generation = object.metadata.generation ?? 0;
    await api.patchObject(teamA, 'secureconnectionbundles', 'reports', {
      metadata: { annotations: { 'scb-operator.io/rotate': 'please' } },
      spec: { duration: '1000h' },
    });
    await waitFor(
      () => api.getBundle(teamA, 'reports'),
      (latest) =>
        latest.status?.observedGeneration === generation + 1 &&
        condition(latest, 'Ready')?.reason === 'IdentityNotAllowed',
      'the edit seen and refused',
    );
    const after = await api.getBundle(teamA, 'reports');
    expect(after.status?.currentVersion).toBe(before.status?.currentVersion);
    expect(after.status?.versions).toEqual(before.status?.versions);
    const still = await api.getSecret(teamA, 'reports-scb');
    expect(still?.data).toEqual(published?.data);
    expect(still?.metadata?.resourceVersion).toBe(published?.metadata?.resourceVersion);
  });
});

describe('names are owned: the operator never writes over what another object holds', () => {
  it("a bundle aimed at the cluster's managed CA Secret gets NameConflict, and the Secret count stays flat for a minute", async () => {
    const caSecret = await api.getSecret(db, 'main-managed-client-ca');
    expect(caSecret).toBeDefined();
    await api.createBundle(db, 'storm', {
      clusterRef: { name: 'main' },
      platforms: [],
      target: { secret: { name: 'main-managed-client-ca' } },
    });
    const object = await refused(db, 'storm', 'NameConflict');
    expect(condition(object, 'Ready')?.message).toBe(
      `Secret ${db}/main-managed-client-ca (spec.target.secret.name) is held by CassandraClusterRef ${db}/main, so this bundle cannot publish there: set spec.target.secret.name to a free name`,
    );
    const createsBefore = await secretCreates(db);
    expect(createsBefore).toBeGreaterThan(0); // the cluster ref's CA Secrets were counted
    const counts: number[] = [];
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      counts.push((await secretNames(db)).length);
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    }
    counts.push((await secretNames(db)).length);
    expect(new Set(counts).size).toBe(1);
    expect((await secretNames(db)).filter((name) => name?.startsWith('main-managed-client-ca-v'))).toEqual(
      [],
    );
    const after = await api.getSecret(db, 'main-managed-client-ca');
    expect(after?.metadata?.resourceVersion).toBe(caSecret?.metadata?.resourceVersion);
    // The metric a storm would show first stayed flat too.
    expect(await secretCreates(db)).toBe(createsBefore);
    process.stdout.write(`storm test: Secret count in ${db} over 60 s: ${counts.join(', ')}\n`);
  });

  it('a Secret made by hand under the published name is never adopted', async () => {
    await api.core().createNamespacedSecret({
      namespace: teamA,
      body: { metadata: { name: 'mine-scb' }, stringData: { note: 'hand-made' } },
    });
    await bundle(teamA, 'mine');
    const object = await refused(teamA, 'mine', 'NameConflict');
    expect(condition(object, 'Ready')?.message).toMatch(
      /Secret team-a\/mine-scb \(spec\.target\.secret\.name\) is held by an object not controlled by scb-operator/,
    );
    const secret = await api.getSecret(teamA, 'mine-scb');
    expect(Object.keys(secret?.data ?? {})).toEqual(['note']);
    expect((await secretNames(teamA)).filter((name) => name?.startsWith('mine-scb-v'))).toEqual([]);
  });

  it("a bundle aimed at another bundle's published Secret gets NameConflict naming that bundle", async () => {
    await bundle(teamB, 'owner');
    const owned = await readyBundle(teamB, 'owner');
    const before = await api.getSecret(teamB, 'owner-scb');
    await bundle(teamB, 'thief', { target: { secret: { name: 'owner-scb' } } });
    const object = await refused(teamB, 'thief', 'NameConflict');
    expect(condition(object, 'Ready')?.message).toBe(
      `Secret ${teamB}/owner-scb (spec.target.secret.name) is held by SecureConnectionBundle ${teamB}/owner, so this bundle cannot publish there: set spec.target.secret.name to a free name`,
    );
    expect((await api.getSecret(teamB, 'owner-scb'))?.metadata?.resourceVersion).toBe(
      before?.metadata?.resourceVersion,
    );
    expect((await secretNames(teamB)).filter((name) => name?.startsWith('owner-scb-v'))).toEqual([
      `owner-scb-v${owned.status?.currentVersion}`,
    ]);
  });

  it('a taken version name costs a number, not the rotation: v2 is skipped, v3 issued', async () => {
    await bundle(teamB, 'good');
    await readyBundle(teamB, 'good');
    await api.core().createNamespacedSecret({
      namespace: teamB,
      body: { metadata: { name: 'good-scb-v2' }, stringData: { planted: 'yes' } },
    });
    await api.patchObject(teamB, 'secureconnectionbundles', 'good', {
      metadata: { annotations: { 'scb-operator.io/rotate': 'one' } },
    });
    const rotated = await waitFor(
      () => api.getBundle(teamB, 'good'),
      (object) => versionCount(object) === 3 && isReady(object),
      'good at version 3',
    );
    expect(rotated.status?.versions?.map((entry) => entry.version)).toEqual([3, 1]);
    expect(Object.keys((await api.getSecret(teamB, 'good-scb-v2'))?.data ?? {})).toEqual(['planted']);
    const warnings = await waitFor(
      async () =>
        (await events().listNamespacedEvent({ namespace: teamB })).items.filter(
          (event) => event.reason === 'VersionNameTaken',
        ),
      (found) => found.length > 0,
      'a VersionNameTaken Warning',
    );
    expect(warnings[0]?.note).toMatch(
      /Secret good-scb-v2 is held by an object not controlled by scb-operator; version 2 is skipped/,
    );
  });
});

describe('issuance is rate-limited per bundle, whatever asks for it', () => {
  it('five rotations in a row are served, the sixth waits for the window', async () => {
    await bundle(teamB, 'eager');
    await readyBundle(teamB, 'eager');
    for (let request = 1; request <= 5; request += 1) {
      await api.patchObject(teamB, 'secureconnectionbundles', 'eager', {
        metadata: { annotations: { 'scb-operator.io/rotate': `r${request}` } },
      });
      if (request < 5) {
        await waitFor(
          () => api.getBundle(teamB, 'eager'),
          (object) => versionCount(object) === request + 1,
          `eager at version ${request + 1}`,
        );
      }
    }
    await operator!.waitForLog(
      (line) =>
        line.message === 'issuance rate limit reached; the next version waits' && line.name === 'eager',
      'the rate limit to defer eager',
    );
    const object = await api.getBundle(teamB, 'eager');
    expect(versionCount(object)).toBe(5);
    expect(isReady(object)).toBe(true);
    expect(await metricValue('scb_issuance_rate_limited_total')).toBeGreaterThanOrEqual(1);
  });
});
