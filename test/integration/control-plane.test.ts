import { jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repositoryRoot } from '../support/control-plane-binaries.js';
import {
  createTestNamespace,
  kubeconfigForServiceAccount,
  kubeconfigForUser,
  kubectl,
} from '../support/kube.js';

// jest.config.js sets testTimeout per project, where Jest ignores it; a real apiserver on a busy
// machine needs more than the 5 s default.
jest.setTimeout(120_000);

const pinnedKubernetesVersion = /^KUBERNETES_VERSION=(\S+)$/m.exec(
  readFileSync(path.join(repositoryRoot, 'tools/control-plane/versions.env'), 'utf8'),
)?.[1];

interface WhoAmI {
  status: { userInfo: { username: string; groups?: string[] } };
}

describe('test control plane', () => {
  it('serves the pinned Kubernetes version', async () => {
    const version = JSON.parse(await kubectl(['version', '--output=json'])) as {
      serverVersion: { gitVersion: string };
    };
    expect(version.serverVersion.gitVersion).toBe(pinnedKubernetesVersion);
  });

  it('authenticates a client certificate as its CN and O groups, and RBAC denies what no role grants', async () => {
    const namespace = await createTestNamespace('cp-rbac');
    const kubeconfig = await kubeconfigForUser('alice', ['team-a']);

    const whoami = JSON.parse(await kubectl(['auth', 'whoami', '--output=json'], { kubeconfig })) as WhoAmI;
    expect(whoami.status.userInfo.username).toBe('alice');
    expect(whoami.status.userInfo.groups).toContain('team-a');
    await expect(kubectl(['get', 'configmaps'], { namespace, kubeconfig })).rejects.toThrow(
      /User "alice" cannot list resource "configmaps"/,
    );

    await kubectl(['create', 'role', 'read-configmaps', '--verb=list', '--resource=configmaps'], {
      namespace,
    });
    await kubectl(['create', 'rolebinding', 'team-a-reads', '--role=read-configmaps', '--group=team-a'], {
      namespace,
    });
    await expect(kubectl(['get', 'configmaps'], { namespace, kubeconfig })).resolves.toBeDefined();
    await expect(kubectl(['get', 'secrets'], { namespace, kubeconfig })).rejects.toThrow(
      /User "alice" cannot list resource "secrets"/,
    );
  });

  it('authenticates a ServiceAccount by a TokenRequest token', async () => {
    const namespace = await createTestNamespace('cp-sa');
    const kubeconfig = await kubeconfigForServiceAccount(namespace, 'robot');

    const whoami = JSON.parse(await kubectl(['auth', 'whoami', '--output=json'], { kubeconfig })) as WhoAmI;
    expect(whoami.status.userInfo.username).toBe(`system:serviceaccount:${namespace}:robot`);
    expect(whoami.status.userInfo.groups).toContain(`system:serviceaccounts:${namespace}`);
    await expect(kubectl(['get', 'secrets'], { namespace, kubeconfig })).rejects.toThrow(
      `User "system:serviceaccount:${namespace}:robot" cannot list resource "secrets"`,
    );
  });
});
