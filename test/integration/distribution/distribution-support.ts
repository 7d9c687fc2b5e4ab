/**
 * What the distribution tests share: ServiceAccount tokens and RBAC on the real apiserver, an
 * HTTPS client that trusts one certificate, and a logger whose JSON lines the test can read.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import yaml from 'js-yaml';
import { createLogger, type Logger } from '../../../src/observability/logger.js';
import { kubeconfigForServiceAccount, kubectl } from '../../support/kube.js';

/** A TokenRequest token of the ServiceAccount (created if needed), as a pod would hold it. */
export async function serviceAccountToken(
  namespace: string,
  name: string,
): Promise<{ token: string; kubeconfig: string }> {
  const kubeconfig = await kubeconfigForServiceAccount(namespace, name);
  const parsed = yaml.load(readFileSync(kubeconfig, 'utf8')) as { users: Array<{ user: { token: string } }> };
  const token = parsed.users[0]?.user.token;
  if (!token) throw new Error(`no token in ${kubeconfig}`);
  return { token, kubeconfig };
}

/** A Role granting `get` on secureconnectionbundles/download, bound to the ServiceAccount. */
export async function grantDownload(namespace: string, serviceAccount: string): Promise<void> {
  await kubectl(['apply', '-f', '-'], {
    namespace,
    input: `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: scb-download}
rules:
- apiGroups: [scb-operator.io]
  resources: [secureconnectionbundles/download]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: scb-download-${serviceAccount}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: scb-download}
subjects:
- {kind: ServiceAccount, name: ${serviceAccount}, namespace: ${namespace}}
`,
  });
  // The RBAC authorizer learns of the binding through a watch: wait until it answers yes.
  const user = `system:serviceaccount:${namespace}:${serviceAccount}`;
  for (let attempt = 0; ; attempt += 1) {
    try {
      await kubectl(
        [
          'auth',
          'can-i',
          'get',
          'secureconnectionbundles.scb-operator.io',
          '--subresource=download',
          `--as=${user}`,
        ],
        { namespace },
      );
      return;
    } catch (error) {
      if (attempt >= 40) throw error;
      await sleep(250);
    }
  }
}

export interface HttpsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json(): Record<string, unknown>;
}

export function httpsCall(
  url: string,
  options: { method?: string; token?: string; body?: string; ca: string },
): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: options.method ?? 'GET',
        ca: options.ca,
        headers: {
          ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
          ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        },
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', reject);
        incoming.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: incoming.statusCode ?? 0,
            headers: incoming.headers,
            body,
            json: () => JSON.parse(body.toString('utf8')) as Record<string, unknown>,
          });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/** A logger like the operator's, whose lines (and raw text) the test can inspect. */
export function capturedLogger(): {
  logger: Logger;
  lines: () => Array<Record<string, unknown>>;
  text: () => string;
} {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return {
    logger: createLogger({ level: 'debug', destination: stream }),
    text: () => text,
    lines: () =>
      text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
