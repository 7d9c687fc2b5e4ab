/**
 * The chart with the real helm and the real kube-apiserver: helm lint passes; bad values are
 * refused naming the field; every manifest of the default, the namespace-scoped and the
 * all-features render passes a server-side dry run and is then applied; the operator's pod meets
 * Pod Security "restricted" where it is enforced; the container's args are what the operator's
 * own flag parser accepts, with the download API's certificate where the Secret is mounted; the
 * install notes name the values the chart uses; deploy/ is what the generator writes, and real
 * kustomize turns it into exactly the helm renders.
 *
 * The ServiceMonitor and PrometheusRule are applied like the rest, against the Prometheus
 * Operator's real CRDs (from its Go module, pinned in tools/packaging/versions.env), installed on
 * the shared control plane first; they are also checked for what they must match (the Service they
 * select, its port) here, and by promtool in test/unit/packaging/alerts.test.ts.
 */
import { jest } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_OUTBOUND_POLICY, parseOutboundPolicy } from '../../../src/distribution/outbound/index.js';
import { readOperatorConfig } from '../../../src/operator/config.js';
import { generatedDeployFiles } from '../../../tools/packaging/generated-files.js';
import { repositoryRoot } from '../../support/control-plane-binaries.js';
import { KubectlError, controlPlaneConnection, createTestNamespace, kubectl } from '../../support/kube.js';
import {
  chartDir,
  chartOperatorContainer,
  helm,
  installPrometheusOperatorCrds,
  packagingBinDir,
  parseManifests,
  renderChart,
  toYamlStream,
  ToolError,
  type Manifest,
} from '../../support/packaging.js';

jest.setTimeout(180_000);

const restricted = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/enforce-version': 'latest',
};
const allFeatures = {
  serviceMonitor: { enabled: true },
  prometheusRule: { enabled: true },
  grafanaDashboard: { enabled: true },
  // The Secret need not exist to apply the Deployment: no kubelet mounts it here.
  download: { enabled: true, tls: { secretName: 'scb-download-tls' } },
};
const outbound = {
  allow: ['10.96.0.0/12', 'minio.storage.svc.cluster.local'],
  serviceCIDRs: ['10.96.0.0/12'],
};

// Installed once per file, before the first apply; installing again (another file) changes nothing.
let prometheusOperatorCrds: Promise<void> | undefined;

const key = (object: Manifest) => `${object.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name}`;
const byKey = (objects: Manifest[]) => [...objects].sort((a, b) => key(a).localeCompare(key(b)));
const uniqueRelease = (namespace: string) => `rel-${namespace.split('-').at(-1)}`;

describe('helm lint', () => {
  it.each([
    ['default values', []],
    ['a namespace-scoped install', ['--set', 'rbac.scope=namespace']],
    [
      'every optional feature on',
      [
        ...Object.keys(allFeatures).flatMap((name) => ['--set', `${name}.enabled=true`]),
        '--set',
        'download.tls.secretName=scb-download-tls',
      ],
    ],
  ])('passes --strict with %s', async (_, args) => {
    const output = await helm(['lint', chartDir, '--strict', ...args]);
    expect(output).toContain('1 chart(s) linted, 0 chart(s) failed');
  });
});

describe('bad values', () => {
  it.each([
    ['replicaCount: 0', { replicaCount: 0 }, /replicaCount[\s\S]*minimum/],
    ['an unknown rbac.scope', { rbac: { scope: 'clusterwide' } }, /rbac\/scope[\s\S]*'cluster', 'namespace'/],
    ['a misspelt key', { replicas: 3 }, /additional properties 'replicas' not allowed/],
    [
      'two replicas without leader election',
      { leaderElection: { enabled: false } },
      /replicaCount > 1 needs leaderElection\.enabled=true/,
    ],
    [
      'a download certificate Secret name that is not a DNS name',
      { download: { enabled: true, tls: { secretName: 'Download_TLS' } } },
      /download\/tls\/secretName[\s\S]*'Download_TLS' does not match pattern/,
    ],
    [
      'a download certificate without the download API',
      { download: { tls: { secretName: 'scb-download-tls' } } },
      /download\.tls\.secretName is set but download\.enabled is false: set download\.enabled=true/,
    ],
    [
      'an outbound allow-list entry that is a URL',
      { outbound: { allow: ['http://minio.storage.svc'] } },
      /outbound\/allow\/0[\s\S]*does not match pattern/,
    ],
    [
      'a service range without its prefix length',
      { outbound: { serviceCIDRs: ['10.96.0.0'] } },
      /outbound\/serviceCIDRs\/0[\s\S]*does not match pattern/,
    ],
    [
      'one Secret for the link key and the signing key',
      { download: { enabled: true, linkKeySecret: 'scb-operator-signing-key' } },
      /download\.linkKeySecret and signingKeySecret are both "scb-operator-signing-key"/,
    ],
  ])('refuses %s, naming the field', async (_, values, message) => {
    const refusal = await renderChart({ namespace: 'scb-system', values }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(ToolError);
    expect((refusal as ToolError).stderr).toMatch(message);
  });
});

describe.each([
  ['default values (cluster-wide)', {}],
  ['namespace-scoped values', { rbac: { scope: 'namespace' } }],
  ['every optional feature on', { ...allFeatures, outbound }],
])('the manifests rendered with %s', (_, values: Record<string, unknown>) => {
  let namespace: string;
  let objects: Manifest[];
  let stream: string;

  beforeAll(async () => {
    namespace = await createTestNamespace('chart', restricted);
    objects = parseManifests(
      await renderChart({ releaseName: uniqueRelease(namespace), namespace, values, includeCrds: true }),
    );
    stream = toYamlStream(objects);
    await (prometheusOperatorCrds ??= installPrometheusOperatorCrds());
  });

  it('pass a server-side dry run, then apply, and are all there', async () => {
    await kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], { input: stream });
    await kubectl(['apply', '--server-side', '-f', '-'], { input: stream });
    const listed = await kubectl(['get', '-f', '-', '--output=name'], { input: stream });
    expect(listed.trim().split('\n')).toHaveLength(objects.length);
    if (values === allFeatures) {
      expect(listed).toMatch(/^servicemonitor\.monitoring\.coreos\.com\//m);
      expect(listed).toMatch(/^prometheusrule\.monitoring\.coreos\.com\//m);
    }
  });

  it('give the operator a pod that Pod Security "restricted" admits, where it is enforced', async () => {
    const deployment = objects.find((object) => object.kind === 'Deployment') as Manifest & {
      spec: {
        template: { metadata: Record<string, unknown>; spec: { containers: Record<string, unknown>[] } };
      };
    };
    const pod = (spec: unknown) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          ...deployment.spec.template.metadata,
          name: `operator-${Math.random().toString(16).slice(2, 8)}`,
        },
        spec,
      });
    // The image's user and group, spelled out: a kubelet would otherwise run the process as gid 0.
    expect(deployment.spec.template.spec).toMatchObject({
      securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532 },
    });
    // The ServiceAccount exists from the apply above; no kubelet runs, so the pod is only admitted.
    await kubectl(['create', '-f', '-'], { namespace, input: pod(deployment.spec.template.spec) });

    // The same pod without the container's securityContext is refused: enforcement is on.
    const loose = structuredClone(deployment.spec.template.spec);
    for (const container of loose.containers) delete container['securityContext'];
    const refusal = await kubectl(['create', '-f', '-'], { namespace, input: pod(loose) }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(KubectlError);
    expect((refusal as KubectlError).stderr).toMatch(/violates PodSecurity "restricted:latest"/);
  });
});

describe("the operator container's args and environment", () => {
  const podEnv = { POD_NAME: 'scb-operator-7d9f-abcde', POD_NAMESPACE: 'scb-system' };

  it("parse with the operator's own flag parser; POD_NAME comes from the pod name, for the Lease", async () => {
    const { container } = chartOperatorContainer(
      parseManifests(await renderChart({ namespace: 'scb-system' })),
    );
    expect(container.env).toContainEqual({
      name: 'POD_NAME',
      valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
    });
    const config = readOperatorConfig(container.args ?? [], podEnv, 'host');
    expect(config).toMatchObject({
      identity: 'scb-operator-7d9f-abcde',
      operatorNamespace: 'scb-system',
      watchNamespace: undefined,
      leaderElect: true,
      signingKeySecret: 'scb-operator-signing-key',
      download: undefined,
    });
  });

  it('serve the download API with the mounted, read-only certificate Secret and the shared link key', async () => {
    const { container, pod } = chartOperatorContainer(
      parseManifests(
        await renderChart({
          namespace: 'scb-system',
          values: {
            signingKeySecret: 'manifests-key',
            download: { enabled: true, tls: { secretName: 'download-tls' }, linkKeySecret: 'links-key' },
          },
        }),
      ),
    );
    const config = readOperatorConfig(container.args ?? [], podEnv, 'host');
    const mount = container.volumeMounts?.find((candidate) => candidate.name === 'download-tls');
    expect(mount).toMatchObject({ readOnly: true });
    expect(pod.volumes?.find((volume) => volume.name === 'download-tls')?.secret).toEqual({
      secretName: 'download-tls',
      items: [
        { key: 'tls.crt', path: 'tls.crt' },
        { key: 'tls.key', path: 'tls.key' },
      ],
    });
    expect(config.signingKeySecret).toBe('manifests-key');
    expect(config.download).toEqual({
      host: '0.0.0.0',
      port: 8443,
      tlsCertFile: `${mount?.mountPath}/tls.crt`,
      tlsKeyFile: `${mount?.mountPath}/tls.key`,
      linkKeySecret: 'links-key',
    });
    expect(container.ports).toContainEqual({ name: 'download', containerPort: 8443, protocol: 'TCP' });
  });

  it('pass the outbound allow-list and service ranges as the flags the operator parses; none by default', async () => {
    const { container } = chartOperatorContainer(
      parseManifests(await renderChart({ namespace: 'scb-system', values: { outbound } })),
    );
    expect(readOperatorConfig(container.args ?? [], podEnv, 'host').outbound).toEqual(
      parseOutboundPolicy(outbound.allow, outbound.serviceCIDRs),
    );
    const defaults = chartOperatorContainer(parseManifests(await renderChart({ namespace: 'scb-system' })));
    expect(readOperatorConfig(defaults.container.args ?? [], podEnv, 'host').outbound).toEqual(
      DEFAULT_OUTBOUND_POLICY,
    );
  });

  it('pass the gateway probe interval and resolve overrides as the flags the operator parses', async () => {
    const gatewayProbe = {
      intervalSeconds: 30,
      resolve: ['cql-gw.example.com:29080:10.96.12.7', 'cql-gw.example.com:29042:[fd00::7]'],
    };
    const { container } = chartOperatorContainer(
      parseManifests(await renderChart({ namespace: 'scb-system', values: { gatewayProbe } })),
    );
    const config = readOperatorConfig(container.args ?? [], podEnv, 'host');
    expect(config.gatewayProbeIntervalMs).toBe(30_000);
    expect(config.gatewayResolve).toEqual(
      new Map([
        ['cql-gw.example.com:29080', '10.96.12.7'],
        ['cql-gw.example.com:29042', 'fd00::7'],
      ]),
    );
    const defaults = chartOperatorContainer(parseManifests(await renderChart({ namespace: 'scb-system' })));
    const defaultConfig = readOperatorConfig(defaults.container.args ?? [], podEnv, 'host');
    expect(defaultConfig.gatewayProbeIntervalMs).toBe(180_000);
    expect(defaultConfig.gatewayResolve).toEqual(new Map());
  });

  it('without a certificate Secret, mount nothing and let each replica self-sign', async () => {
    const { container, pod } = chartOperatorContainer(
      parseManifests(await renderChart({ namespace: 'scb-system', values: { download: { enabled: true } } })),
    );
    expect(readOperatorConfig(container.args ?? [], podEnv, 'host').download).toMatchObject({
      tlsCertFile: undefined,
      tlsKeyFile: undefined,
      linkKeySecret: 'scb-operator-download-link-key',
    });
    expect(pod.volumes?.map((volume) => volume.name)).toEqual(['tmp']);
  });
});

describe('the install notes', () => {
  const notes = async (values: Record<string, string>) => {
    const output = await helm([
      'install',
      'scb-operator',
      chartDir,
      '--namespace=scb-system',
      '--dry-run=client',
      `--kubeconfig=${controlPlaneConnection().kubeconfigPath}`,
      ...Object.entries(values).flatMap(([name, value]) => ['--set', `${name}=${value}`]),
    ]);
    return output.slice(output.indexOf('NOTES:'));
  };

  it("name the chart's signing-key Secret and its ConfigMap, and the download API's Secrets", async () => {
    const text = await notes({
      signingKeySecret: 'manifests-key',
      'download.enabled': 'true',
      'download.tls.secretName': 'download-tls',
    });
    expect(text).toContain('Bundles are signed with the key in Secret manifests-key');
    expect(text).toContain('kubectl -n scb-system get configmap manifests-key -o yaml');
    expect(text).not.toContain('scb-operator-signing-key');
    expect(text).toContain('Every replica serves the certificate in Secret download-tls');
    expect(text).toContain('kubectl -n scb-system rollout restart deployment/scb-operator');
    expect(text).toContain('signed with the key in Secret scb-operator-download-link-key');
  });

  it('warn that two replicas without a certificate Secret serve two different certificates', async () => {
    const text = await notes({ 'download.enabled': 'true' });
    expect(text).toMatch(
      /WARNING: download\.tls\.secretName is empty[\s\S]*2 replicas: clients behind the Service see a different one per pod/,
    );
    expect(await notes({})).not.toContain('download');
  });
});

describe('the Prometheus Operator objects', () => {
  it('select the Service and its metrics port, in the release namespace', async () => {
    const objects = parseManifests(await renderChart({ namespace: 'scb-system', values: allFeatures }));
    const service = objects.find((object) => object.kind === 'Service') as Manifest & {
      spec: { ports: { name: string }[] };
    };
    const monitor = objects.find((object) => object.kind === 'ServiceMonitor') as Manifest & {
      spec: {
        selector: { matchLabels: Record<string, string> };
        namespaceSelector: { matchNames: string[] };
        endpoints: { port: string; path: string }[];
      };
    };
    expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(monitor.spec.namespaceSelector.matchNames).toEqual([service.metadata.namespace]);
    expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port: 'metrics', path: '/metrics' })]);
    expect(service.spec.ports.map((port) => port.name)).toContain('metrics');

    const rule = objects.find((object) => object.kind === 'PrometheusRule') as Manifest & {
      spec: {
        groups: { name: string; rules: { alert: string; expr: string; labels: { severity: string } }[] }[];
      };
    };
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    for (const group of rule.spec.groups) {
      for (const alert of group.rules) expect(['warning', 'critical']).toContain(alert.labels.severity);
    }
  });
});

describe('deploy/ (kustomize)', () => {
  const kustomize = async (folder: string) =>
    parseManifests(await kubectl(['kustomize', path.join(repositoryRoot, 'deploy', folder)]));

  it('is exactly what tools/packaging/generate.sh writes', async () => {
    const expected = await generatedDeployFiles(packagingBinDir());
    const onDisk = (dir: string): string[] =>
      readdirSync(dir).flatMap((entry) => {
        const full = path.join(dir, entry);
        return statSync(full).isDirectory() ? onDisk(full) : [path.relative(repositoryRoot, full)];
      });
    const fix = 'run bash tools/packaging/generate.sh and commit the result';
    expect({ files: onDisk(path.join(repositoryRoot, 'deploy')).sort(), fix }).toEqual({
      files: Object.keys(expected).sort(),
      fix,
    });
    for (const [file, content] of Object.entries(expected)) {
      const same = readFileSync(path.join(repositoryRoot, file), 'utf8') === content;
      expect({ file, same, fix }).toEqual({ file, same: true, fix });
    }
  });

  it('base builds into the default helm render, plus its Pod Security "restricted" namespace', async () => {
    const helmObjects = parseManifests(
      await renderChart({ releaseName: 'scb-operator', namespace: 'scb-system', includeCrds: true }),
    );
    const built = await kustomize('base');
    const namespace = built.find((object) => object.kind === 'Namespace');
    expect(namespace?.metadata).toMatchObject({
      name: 'scb-system',
      labels: { 'pod-security.kubernetes.io/enforce': 'restricted' },
    });
    expect(byKey(built.filter((object) => object.kind !== 'Namespace'))).toEqual(byKey(helmObjects));
  });

  it('the namespace-scoped overlay builds into the namespace-scoped helm render', async () => {
    const helmObjects = parseManifests(
      await renderChart({
        releaseName: 'scb-operator',
        namespace: 'apps',
        values: { rbac: { scope: 'namespace' } },
        includeCrds: true,
      }),
    );
    expect(byKey(await kustomize('overlays/namespace-scoped'))).toEqual(byKey(helmObjects));
  });
});

describe('the cloud-mode gateway', () => {
  const gateway = {
    enabled: true,
    sniProxyAddress: 'cql-gw.example.com:29042',
    localDatacenter: 'dc1',
    contactPoints: ['cassandra-0.cassandra'],
    identitySecret: 'cql-gw-scb',
  };
  const gatewayVolumes = async (values: Record<string, unknown>) => {
    const objects = parseManifests(
      await renderChart({ namespace: 'db', values: { gateway: { ...gateway, ...values } } }),
    );
    const deployment = objects.find(
      (object) => object.kind === 'Deployment' && object.metadata.name.endsWith('-gateway'),
    ) as
      (Manifest & { spec: { template: { spec: { volumes: Array<Record<string, unknown>> } } } }) | undefined;
    return Object.fromEntries(
      (deployment?.spec.template.spec.volumes ?? []).map((volume) => [
        volume['name'],
        volume['secret'] ?? volume['configMap'],
      ]),
    );
  };

  it("mounts the cluster ref's operator-issued serving Secret and trust bundle by default", async () => {
    const volumes = await gatewayVolumes({ clusterRef: 'orders' });
    expect(volumes['serving']).toEqual({ secretName: 'orders-gateway-tls' });
    expect(volumes['client-ca']).toEqual({ name: 'orders-client-ca' });
  });

  it('mounts the Secret and ConfigMap given instead', async () => {
    const volumes = await gatewayVolumes({
      clusterRef: 'orders',
      servingCertSecret: 'my-gw-tls',
      clientCATrustConfigMap: 'orders-trust',
    });
    expect(volumes['serving']).toEqual({ secretName: 'my-gw-tls' });
    expect(volumes['client-ca']).toEqual({ name: 'orders-trust' });
  });

  it('refuses to render without a serving certificate, naming both ways to give one', async () => {
    const refusal = await renderChart({ namespace: 'db', values: { gateway } }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(ToolError);
    expect((refusal as ToolError).stderr).toContain(
      'gateway.enabled=true needs gateway.clusterRef (with spec.gateway.servingCertificate.managed) or gateway.servingCertSecret',
    );
  });
});
