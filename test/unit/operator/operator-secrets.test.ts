import type { V1Secret } from '@kubernetes/client-node';
import { NameConflictError } from '../../../src/errors.js';
import type { KubeObjects } from '../../../src/kube/kube-objects.js';
import { loadOrCreateOperatorSecret, type OperatorSecret } from '../../../src/operator/operator-secrets.js';

const SECRET: OperatorSecret = {
  namespace: 'scb-system',
  name: 'scb-operator-signing-key',
  key: 'signing-key.pem',
  role: 'signing-key',
  setting: 'signingKeySecret (--signing-key-secret)',
};
const VALUE = 'pretend-signing-key-material';
const OURS = { 'app.kubernetes.io/managed-by': 'scb-operator', 'scb-operator.io/role': 'signing-key' };

/** The two calls loadOrCreateOperatorSecret makes, over one Secret that may exist. */
function objects(existing: V1Secret | undefined) {
  const created: V1Secret[] = [];
  const kube = {
    getSecret: () => Promise.resolve(existing),
    createSecret: (_namespace: string, body: V1Secret) => {
      created.push(body);
      return Promise.resolve(body);
    },
  } as unknown as KubeObjects;
  return { kube, created };
}
const stored = (labels?: Record<string, string>): V1Secret => ({
  metadata: { name: SECRET.name, namespace: SECRET.namespace, ...(labels ? { labels } : {}) },
  data: { [SECRET.key]: Buffer.from(VALUE).toString('base64') },
});

describe('loadOrCreateOperatorSecret', () => {
  it('uses an existing Secret with our labels (a restart, a reinstall, a key supplied by labelling)', async () => {
    const { kube, created } = objects(stored(OURS));
    const value = await loadOrCreateOperatorSecret(kube, SECRET, () => Buffer.from('new'));
    expect(value.reveal().toString()).toBe(VALUE);
    expect(created).toEqual([]);
  });

  it('creates one with our labels when there is none', async () => {
    const { kube, created } = objects(undefined);
    const value = await loadOrCreateOperatorSecret(kube, SECRET, () => Buffer.from('new'));
    expect(value.reveal().toString()).toBe('new');
    expect(created.map((secret) => secret.metadata?.labels)).toEqual([OURS]);
  });

  it.each<[string, Record<string, string> | undefined]>([
    ['no labels', undefined],
    ['only the managed-by label', { 'app.kubernetes.io/managed-by': 'scb-operator' }],
    [
      'another role of ours (a managed CA Secret under this name)',
      { ...OURS, 'scb-operator.io/role': 'managed-client-ca' },
    ],
  ])('refuses a Secret of that name with %s: NameConflict, nothing created', async (_name, labels) => {
    const { kube, created } = objects(stored(labels));
    const error = await loadOrCreateOperatorSecret(kube, SECRET, () => Buffer.from('new')).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(NameConflictError);
    expect(error).toMatchObject({ kind: 'Secret', objectName: SECRET.name, field: SECRET.setting });
    const message = (error as Error).message;
    expect(message).toContain('Secret scb-system/scb-operator-signing-key exists without the operator');
    expect(message).toContain('choose another name with signingKeySecret (--signing-key-secret)');
    expect(message).toContain(
      'kubectl -n scb-system label secret scb-operator-signing-key app.kubernetes.io/managed-by=scb-operator scb-operator.io/role=signing-key',
    );
    expect(message).not.toContain(VALUE);
    expect(message).not.toContain(Buffer.from(VALUE).toString('base64'));
    expect(created).toEqual([]);
  });
});
