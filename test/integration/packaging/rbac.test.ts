/**
 * The chart's RBAC against the operator's runtime contract, on the real kube-apiserver: the rules
 * rendered are exactly the contract's, `kubectl auth can-i --as` the chart's ServiceAccount grants
 * each permission where the contract says, and refuses what the contract does not give: other
 * namespaces' Secrets for a namespace-scoped install, cluster-wide reads, writes to bundle specs.
 */
import { jest } from '@jest/globals';
import { KubectlError, createTestNamespace, kubectl } from '../../support/kube.js';
import { installChartIdentity, type ChartIdentity, type Manifest } from '../../support/packaging.js';

jest.setTimeout(180_000);

interface Permission {
  group: string;
  resource: string;
  verbs: string[];
}

const allVerbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
/** The contract's rules for the watched namespaces (the operator's runtime contract, verbatim). */
const watchedRules: Permission[] = [
  { group: 'scb-operator.io', resource: 'secureconnectionbundles', verbs: ['get', 'list', 'watch', 'patch'] },
  { group: 'scb-operator.io', resource: 'cassandraclusterrefs', verbs: ['get', 'list', 'watch'] },
  { group: 'scb-operator.io', resource: 'secureconnectionbundles/status', verbs: ['patch'] },
  { group: 'scb-operator.io', resource: 'cassandraclusterrefs/status', verbs: ['patch'] },
  { group: 'scb-operator.io', resource: 'secureconnectionbundles/finalizers', verbs: ['update'] },
  { group: 'scb-operator.io', resource: 'cassandraclusterrefs/finalizers', verbs: ['update'] },
  { group: '', resource: 'secrets', verbs: allVerbs },
  { group: '', resource: 'configmaps', verbs: ['get', 'list', 'watch', 'create', 'patch'] },
  { group: 'events.k8s.io', resource: 'events', verbs: ['create'] },
  { group: '', resource: 'pods', verbs: ['list', 'watch'] },
  { group: 'apps', resource: 'deployments', verbs: ['get', 'patch'] },
  { group: 'apps', resource: 'statefulsets', verbs: ['get', 'patch'] },
  { group: 'apps', resource: 'daemonsets', verbs: ['get', 'patch'] },
];
const namespaceRule: Permission = { group: '', resource: 'namespaces', verbs: ['get', 'list', 'watch'] };
const leaseRule: Permission = {
  group: 'coordination.k8s.io',
  resource: 'leases',
  verbs: ['get', 'create', 'update'],
};

type Triple = string;
const triples = (rules: Permission[]): Triple[] =>
  rules.flatMap((rule) => rule.verbs.map((verb) => `${rule.group}|${rule.resource}|${verb}`)).sort();

/** The (group, resource, verb) triples a rendered Role or ClusterRole grants. */
function granted(objects: Manifest[], kind: string, name: string): Triple[] {
  const role = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!role) throw new Error(`the chart rendered no ${kind} ${name}`);
  const rules = role['rules'] as { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  return rules
    .flatMap((rule) =>
      rule.apiGroups.flatMap((group) =>
        rule.resources.flatMap((resource) => rule.verbs.map((verb) => `${group}|${resource}|${verb}`)),
      ),
    )
    .sort();
}

/** `kubectl auth can-i` as the identity's ServiceAccount; `namespace` undefined means all namespaces. */
async function canI(
  identity: ChartIdentity,
  triple: Triple,
  namespace: string | undefined,
): Promise<boolean> {
  const [group = '', fullResource = '', verb = ''] = triple.split('|');
  const [resource = '', subresource] = fullResource.split('/');
  const args = [
    'auth',
    'can-i',
    verb,
    group ? `${resource}.${group}` : resource,
    ...(subresource ? [`--subresource=${subresource}`] : []),
    `--as=system:serviceaccount:${identity.namespace}:${identity.serviceAccount}`,
    ...(namespace ? [`--namespace=${namespace}`] : ['--all-namespaces']),
  ];
  try {
    return (await kubectl(args)).trim() === 'yes';
  } catch (error) {
    if (error instanceof KubectlError && error.stdout.trim() === 'no') return false;
    throw error;
  }
}

/** Each triple's answer, as `triple @ namespace: yes|no`, asked a few at a time. */
async function answers(
  identity: ChartIdentity,
  list: Triple[],
  namespace: string | undefined,
): Promise<string[]> {
  const results: string[] = [];
  for (let index = 0; index < list.length; index += 6) {
    const batch = list.slice(index, index + 6);
    const answered = await Promise.all(batch.map((triple) => canI(identity, triple, namespace)));
    batch.forEach((triple, i) =>
      results.push(`${triple} @ ${namespace ?? '*'}: ${answered[i] ? 'yes' : 'no'}`),
    );
  }
  return results;
}
const all = (list: Triple[], namespace: string | undefined, answer: 'yes' | 'no') =>
  list.map((triple) => `${triple} @ ${namespace ?? '*'}: ${answer}`);

/** Things the contract never grants, in any install. */
const neverGranted: Triple[] = [
  'scb-operator.io|secureconnectionbundles|create',
  'scb-operator.io|secureconnectionbundles|update',
  'scb-operator.io|cassandraclusterrefs|delete',
  'scb-operator.io|cassandraclusterrefs|patch',
  'scb-operator.io|secureconnectionbundles/status|update',
  'scb-operator.io|cassandraclusterrefs/status|update',
  '|configmaps|update',
  '|configmaps|delete',
  'events.k8s.io|events|patch',
  '|secrets|deletecollection',
  '|pods|get',
  '|pods|delete',
  '|pods/exec|create',
  'apps|deployments|delete',
  'apps|deployments|list',
  '|namespaces|create',
  '|namespaces|patch',
  '|namespaces|delete',
  'apiextensions.k8s.io|customresourcedefinitions|create',
  'rbac.authorization.k8s.io|clusterroles|create',
  'authentication.k8s.io|tokenreviews|create',
];

describe('a cluster-wide install', () => {
  let identity: ChartIdentity;
  let elsewhere: string;

  beforeAll(async () => {
    const namespace = await createTestNamespace('rbac-cluster');
    elsewhere = await createTestNamespace('rbac-elsewhere');
    identity = await installChartIdentity({
      namespace,
      scope: 'cluster',
      releaseName: `rbac-${namespace.split('-').at(-1)}`,
    });
  });

  it('renders exactly the contract: a ClusterRole with namespaces get, list and watch, and a lease Role', () => {
    const name = `${identity.releaseName}-scb-operator`;
    expect(granted(identity.objects, 'ClusterRole', name)).toEqual(triples([...watchedRules, namespaceRule]));
    expect(granted(identity.objects, 'Role', `${name}-leader-election`)).toEqual(triples([leaseRule]));
    expect(identity.objects.map((object) => object.kind).sort()).toEqual(
      ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'ServiceAccount'].sort(),
    );
  });

  it('is granted every contract permission in every namespace, and its Lease in its own', async () => {
    const watched = triples([...watchedRules, namespaceRule]);
    expect(await answers(identity, watched, elsewhere)).toEqual(all(watched, elsewhere, 'yes'));
    expect(await answers(identity, watched, undefined)).toEqual(all(watched, undefined, 'yes'));
    const lease = triples([leaseRule]);
    expect(await answers(identity, lease, identity.namespace)).toEqual(all(lease, identity.namespace, 'yes'));
  });

  it('is refused Leases outside its namespace and everything the contract does not list', async () => {
    const lease = triples([leaseRule]);
    expect(await answers(identity, lease, elsewhere)).toEqual(all(lease, elsewhere, 'no'));
    expect(await answers(identity, neverGranted, elsewhere)).toEqual(all(neverGranted, elsewhere, 'no'));
  });
});

describe('a namespace-scoped install', () => {
  let identity: ChartIdentity;
  let elsewhere: string;

  beforeAll(async () => {
    const namespace = await createTestNamespace('rbac-ns');
    elsewhere = await createTestNamespace('rbac-elsewhere');
    identity = await installChartIdentity({
      namespace,
      scope: 'namespace',
      releaseName: `rbac-${namespace.split('-').at(-1)}`,
    });
  });

  it('renders exactly the contract without namespaces: a Role in the watched namespace, and a lease Role', () => {
    const name = `${identity.releaseName}-scb-operator`;
    expect(granted(identity.objects, 'Role', name)).toEqual(triples(watchedRules));
    expect(granted(identity.objects, 'Role', `${name}-leader-election`)).toEqual(triples([leaseRule]));
    expect(identity.objects.map((object) => object.kind).sort()).toEqual(
      ['Role', 'Role', 'RoleBinding', 'RoleBinding', 'ServiceAccount'].sort(),
    );
  });

  it('is granted every contract permission in its namespace, and its Lease', async () => {
    const own = triples([...watchedRules, leaseRule]);
    expect(await answers(identity, own, identity.namespace)).toEqual(all(own, identity.namespace, 'yes'));
  });

  it("is refused another namespace's Secrets and bundles, every namespace at once, and namespaces", async () => {
    const watched = triples([...watchedRules, leaseRule]);
    expect(await answers(identity, watched, elsewhere)).toEqual(all(watched, elsewhere, 'no'));
    const clusterWide = triples([{ group: '', resource: 'secrets', verbs: ['list', 'watch'] }]);
    expect(await answers(identity, clusterWide, undefined)).toEqual(all(clusterWide, undefined, 'no'));
    const namespaces = triples([namespaceRule]);
    expect(await answers(identity, namespaces, identity.namespace)).toEqual(
      all(namespaces, identity.namespace, 'no'),
    );
    expect(await answers(identity, neverGranted, identity.namespace)).toEqual(
      all(neverGranted, identity.namespace, 'no'),
    );
  });

  it('acts as that ServiceAccount: writes a Secret in its namespace, and is Forbidden one elsewhere', async () => {
    const as = { kubeconfig: identity.kubeconfigPath };
    await kubectl(['create', 'secret', 'generic', 'owned', '--from-literal=k=v'], {
      ...as,
      namespace: identity.namespace,
    });
    expect(
      await kubectl(['get', 'secret', 'owned', '--output=name'], { ...as, namespace: identity.namespace }),
    ).toBe('secret/owned\n');
    await kubectl(['create', 'secret', 'generic', 'foreign', '--from-literal=k=v'], { namespace: elsewhere });
    const refusal = await kubectl(['get', 'secret', 'foreign'], { ...as, namespace: elsewhere }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(KubectlError);
    expect((refusal as KubectlError).stderr).toMatch(
      new RegExp(
        `Forbidden.*system:serviceaccount:${identity.namespace}:${identity.serviceAccount}.*cannot get resource "secrets".*namespace "${elsewhere}"`,
      ),
    );
  });
});

/** `kubectl auth can-i VERB RESOURCE/NAME` as the identity's ServiceAccount, as `resource/name verb: yes|no`. */
async function canIOn(identity: ChartIdentity, namespace: string, verb: string, object: string) {
  try {
    const answer = await kubectl([
      'auth',
      'can-i',
      verb,
      object,
      `--as=system:serviceaccount:${identity.namespace}:${identity.serviceAccount}`,
      `--namespace=${namespace}`,
    ]);
    return `${object} ${verb}: ${answer.trim()}`;
  } catch (error) {
    if (error instanceof KubectlError && error.stdout.trim() === 'no') return `${object} ${verb}: no`;
    throw error;
  }
}

describe('a namespace-scoped install watching another namespace, with the download API', () => {
  let identity: ChartIdentity;
  let watched: string;

  beforeAll(async () => {
    const namespace = await createTestNamespace('rbac-operator');
    watched = await createTestNamespace('rbac-watched');
    identity = await installChartIdentity({
      namespace,
      scope: 'namespace',
      watchNamespace: watched,
      releaseName: `rbac-${namespace.split('-').at(-1)}`,
      values: { download: { enabled: true } },
    });
  });

  it('renders a Role in its own namespace for exactly its signing-key and link-key objects, by name', () => {
    const name = `${identity.releaseName}-scb-operator-signing-key`;
    const role = identity.objects.find((object) => object.kind === 'Role' && object.metadata.name === name);
    expect(role?.metadata.namespace).toBe(identity.namespace);
    expect(role?.['rules']).toEqual([
      {
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: ['scb-operator-signing-key', 'scb-operator-download-link-key'],
        verbs: ['get'],
      },
      {
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: ['scb-operator-signing-key'],
        verbs: ['patch'],
      },
      { apiGroups: [''], resources: ['secrets', 'configmaps'], verbs: ['create'] },
    ]);
  });

  it('reads those Secrets and patches that ConfigMap in its own namespace, and nothing else there', async () => {
    const own = identity.namespace;
    const asked = await Promise.all([
      canIOn(identity, own, 'get', 'secrets/scb-operator-signing-key'),
      canIOn(identity, own, 'get', 'secrets/scb-operator-download-link-key'),
      canIOn(identity, own, 'create', 'secrets'),
      canIOn(identity, own, 'patch', 'configmaps/scb-operator-signing-key'),
      canIOn(identity, own, 'create', 'configmaps'),
      canIOn(identity, own, 'get', 'secrets/someone-elses'),
      canIOn(identity, own, 'list', 'secrets'),
      canIOn(identity, own, 'update', 'secrets/scb-operator-signing-key'),
      canIOn(identity, own, 'delete', 'secrets/scb-operator-signing-key'),
      canIOn(identity, own, 'patch', 'configmaps/someone-elses'),
    ]);
    expect(asked).toEqual([
      'secrets/scb-operator-signing-key get: yes',
      'secrets/scb-operator-download-link-key get: yes',
      'secrets create: yes',
      'configmaps/scb-operator-signing-key patch: yes',
      'configmaps create: yes',
      'secrets/someone-elses get: no',
      'secrets list: no',
      'secrets/scb-operator-signing-key update: no',
      'secrets/scb-operator-signing-key delete: no',
      'configmaps/someone-elses patch: no',
    ]);
    const bundles = triples([watchedRules[0] as Permission]);
    expect(await answers(identity, bundles, own)).toEqual(all(bundles, own, 'no'));
    expect(await answers(identity, bundles, watched)).toEqual(all(bundles, watched, 'yes'));
  });

  it('may ask the two reviews the download API needs, cluster-wide', async () => {
    const reviews = triples([
      { group: 'authentication.k8s.io', resource: 'tokenreviews', verbs: ['create'] },
      { group: 'authorization.k8s.io', resource: 'subjectaccessreviews', verbs: ['create'] },
    ]);
    expect(await answers(identity, reviews, undefined)).toEqual(all(reviews, undefined, 'yes'));
    expect(
      granted(identity.objects, 'ClusterRole', `${identity.releaseName}-scb-operator-download-auth`),
    ).toEqual(reviews);
  });
});
