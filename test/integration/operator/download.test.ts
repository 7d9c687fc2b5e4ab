/**
 * The download API as the operator serves it (--download-address with a given serving
 * certificate): a caller allowed `get` on secureconnectionbundles/download receives the exact
 * bytes of the bundle Secret the operator published; one without that permission is refused.
 */
import { jest } from '@jest/globals';
import { rmSync } from 'node:fs';
import { createTestNamespace } from '../../support/kube.js';
import type { OperatorProcess } from '../../support/operator-process.js';
import {
  createBundle,
  createClusterRef,
  createServerCaConfigMap,
  getBundle,
  getClusterRef,
  getSecret,
  isReady,
  managedClusterSpec,
  secretFile,
  downloadApiServing,
  startTestOperator,
  stopOperator,
  waitFor,
} from '../../support/operator-fixtures.js';
import { grantDownload, httpsCall, serviceAccountToken } from '../distribution/distribution-support.js';

jest.setTimeout(180_000);

let operator: OperatorProcess | undefined;
let tlsDir: string | undefined;

afterEach(async () => {
  await stopOperator(operator);
  operator = undefined;
  if (tlsDir) rmSync(tlsDir, { recursive: true, force: true });
});

describe('operator: the download API', () => {
  it('serves the published zip to an authorised caller and refuses others', async () => {
    const namespace = await createTestNamespace('op-download');
    const serving = await downloadApiServing('download API test CA');
    tlsDir = serving.dir;
    operator = await startTestOperator({ namespace, extraArgs: serving.args });
    const started = await operator.waitForLog((line) => line.message === 'operator started', 'start-up');
    const port = Number(started.downloadPort);
    expect(port).toBeGreaterThan(0);

    await createServerCaConfigMap(namespace);
    await createClusterRef(namespace, 'orders', managedClusterSpec());
    await waitFor(() => getClusterRef(namespace, 'orders'), isReady, 'cluster Ready');
    await createBundle(namespace, 'app', { clusterRef: { name: 'orders' }, platforms: ['nodejs'] });
    await waitFor(() => getBundle(namespace, 'app'), isReady, 'bundle Ready');

    const reader = (await serviceAccountToken(namespace, 'reader')).token;
    const stranger = (await serviceAccountToken(namespace, 'stranger')).token;
    await grantDownload(namespace, 'reader');
    const url = `https://127.0.0.1:${port}/v1/namespaces/${namespace}/bundles/app`;
    expect((await httpsCall(url, { ca: serving.caPem })).status).toBe(401);
    expect((await httpsCall(url, { ca: serving.caPem, token: stranger })).status).toBe(403);
    const answer = await httpsCall(url, { ca: serving.caPem, token: reader });
    expect(answer.status).toBe(200);
    const published = secretFile(await getSecret(namespace, 'app-scb'), 'secure-connect-app.zip');
    expect(answer.body.equals(published)).toBe(true);
  });
});
