/**
 * The operator's own key Secret and public-key ConfigMap in its namespace: one of that name that
 * the operator did not make (no labels of ours) is neither adopted as key material nor
 * overwritten; the operator refuses to start and says what to change. Supplying a key is done by
 * labelling the Secret, and then it is used.
 */
import { jest } from '@jest/globals';
import { generateSigningKey, signingKeyPem, signingPublicKeyPem } from '../../../src/bundle/signing.js';
import { createTestNamespace } from '../../support/kube.js';
import type { OperatorProcess } from '../../support/operator-process.js';
import { core, getSecret, startTestOperator, stopOperator } from '../../support/operator-fixtures.js';

jest.setTimeout(180_000);

let operator: OperatorProcess | undefined;
afterEach(async () => {
  await stopOperator(operator);
  operator = undefined;
});

const OURS = { 'app.kubernetes.io/managed-by': 'scb-operator', 'scb-operator.io/role': 'signing-key' };

/** Starts the operator and waits for it to give up; its exit code and last words. */
async function refusedStart(namespace: string): Promise<{ code: number | string; stderr: string }> {
  const process = await startTestOperator({ namespace });
  const code = await process.exited;
  return { code, stderr: process.stderr() };
}

describe('operator: its signing key and public-key ConfigMap', () => {
  it('does not adopt a signing-key Secret made without its labels, and uses one labelled to supply the key', async () => {
    const namespace = await createTestNamespace('own-signing');
    const supplied = generateSigningKey();
    await core().createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: 'scb-operator-signing-key' },
        stringData: { 'signing-key.pem': signingKeyPem(supplied) },
      },
    });
    const before = await getSecret(namespace, 'scb-operator-signing-key');

    const refused = await refusedStart(namespace);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `Secret ${namespace}/scb-operator-signing-key exists without the operator's labels (app.kubernetes.io/managed-by=scb-operator scb-operator.io/role=signing-key), so the operator does not use or overwrite it: choose another name with signingKeySecret (--signing-key-secret), or if you made it to supply the key yourself, label it`,
    );
    expect(refused.stderr).not.toContain('PRIVATE KEY');
    const after = await getSecret(namespace, 'scb-operator-signing-key');
    expect(after?.metadata?.resourceVersion).toBe(before?.metadata?.resourceVersion);
    await expect(
      core().readNamespacedConfigMap({ namespace, name: 'scb-operator-signing-key' }),
    ).rejects.toMatchObject({ code: 404 });

    await core().replaceNamespacedSecret({
      namespace,
      name: 'scb-operator-signing-key',
      body: { ...after, metadata: { ...after?.metadata, labels: OURS } },
    });
    operator = await startTestOperator({ namespace });
    await operator.waitForLog((line) => line.message === 'operator started', 'operator started');
    const published = await core().readNamespacedConfigMap({ namespace, name: 'scb-operator-signing-key' });
    expect(published.data?.['signing-key.pub.pem']).toBe(signingPublicKeyPem(supplied.publicKey));
  });

  it('does not overwrite a public-key ConfigMap made by someone else', async () => {
    const namespace = await createTestNamespace('own-pubkey');
    await core().createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'scb-operator-signing-key' }, data: { note: 'made by hand' } },
    });
    const before = await core().readNamespacedConfigMap({ namespace, name: 'scb-operator-signing-key' });

    const refused = await refusedStart(namespace);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `ConfigMap ${namespace}/scb-operator-signing-key exists without the operator's labels (app.kubernetes.io/managed-by=scb-operator scb-operator.io/role=signing-key), so the operator does not use or overwrite it: choose another name with signingKeySecret (--signing-key-secret), or remove it`,
    );
    const after = await core().readNamespacedConfigMap({ namespace, name: 'scb-operator-signing-key' });
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    expect(after.data).toEqual({ note: 'made by hand' });

    // A ConfigMap the operator made (a restart, a second replica) is rewritten as before.
    await core().deleteNamespacedConfigMap({ namespace, name: 'scb-operator-signing-key' });
    operator = await startTestOperator({ namespace });
    await operator.waitForLog((line) => line.message === 'operator started', 'first start');
    await stopOperator(operator);
    operator = await startTestOperator({ namespace });
    await operator.waitForLog((line) => line.message === 'operator started', 'second start');
    const ours = await core().readNamespacedConfigMap({ namespace, name: 'scb-operator-signing-key' });
    expect(ours.metadata?.labels).toMatchObject(OURS);
    expect(ours.data?.['signing-key.pub.pem']).toContain('BEGIN PUBLIC KEY');
  });
});
