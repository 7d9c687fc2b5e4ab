import { resolveKubeconfig } from '../../../src/kube/client/kubeconfig.js';
import { InvalidInputError } from '../../../src/errors.js';

const source = '/home/dev/.kube/config';
const b64 = (text: string) => Buffer.from(text).toString('base64');

function kubeconfig(overrides: { cluster?: object; user?: object; current?: string } = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': overrides.current ?? 'dev',
    contexts: [
      { name: 'dev', context: { cluster: 'local', user: 'admin' } },
      { name: 'ci', context: { cluster: 'local', user: 'robot' } },
    ],
    clusters: [{ name: 'local', cluster: { server: 'https://127.0.0.1:6443/', ...overrides.cluster } }],
    users: [
      { name: 'admin', user: overrides.user ?? { token: 't0ken' } },
      { name: 'robot', user: { tokenFile: 'tokens/robot' } },
    ],
  };
}

describe('resolveKubeconfig', () => {
  it('reads the current context: server without a trailing slash, inline CA and client certificate', () => {
    const resolved = resolveKubeconfig(
      kubeconfig({
        cluster: { 'certificate-authority-data': b64('CA PEM'), 'tls-server-name': 'kubernetes' },
        user: { 'client-certificate-data': b64('CERT PEM'), 'client-key-data': b64('KEY PEM') },
      }),
      source,
    );
    expect(resolved).toEqual({
      server: 'https://127.0.0.1:6443',
      ca: { inline: 'CA PEM' },
      tlsServerName: 'kubernetes',
      insecureSkipTlsVerify: false,
      clientCertificate: { inline: 'CERT PEM' },
      clientKey: { inline: 'KEY PEM' },
    });
  });

  it('resolves file references against the kubeconfig folder, as kubectl does', () => {
    const resolved = resolveKubeconfig(
      kubeconfig({
        cluster: { 'certificate-authority': 'pki/ca.crt' },
        user: { 'client-certificate': '/abs/client.crt', 'client-key': 'client.key' },
      }),
      source,
    );
    expect(resolved.ca).toEqual({ file: '/home/dev/.kube/pki/ca.crt' });
    expect(resolved.clientCertificate).toEqual({ file: '/abs/client.crt' });
    expect(resolved.clientKey).toEqual({ file: '/home/dev/.kube/client.key' });
  });

  it('uses a named context over the current one, with a token file', () => {
    const resolved = resolveKubeconfig(kubeconfig(), source, 'ci');
    expect(resolved.token).toEqual({ file: '/home/dev/.kube/tokens/robot' });
  });

  it('keeps an exec plugin with its args and env', () => {
    const resolved = resolveKubeconfig(
      kubeconfig({
        user: {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1beta1',
            command: 'aws',
            args: ['eks', 'get-token', '--cluster-name', 'prod'],
            env: [{ name: 'AWS_PROFILE', value: 'platform' }],
          },
        },
      }),
      source,
    );
    expect(resolved.exec).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      command: 'aws',
      args: ['eks', 'get-token', '--cluster-name', 'prod'],
      env: { AWS_PROFILE: 'platform' },
    });
  });

  it.each([
    ['no current context', kubeconfig({ current: '' }), /current-context is not set/],
    ['a context that does not exist', kubeconfig({ current: 'prod' }), /contexts has no entry named "prod"/],
    [
      'a cluster without a server',
      kubeconfig({ cluster: { server: '' } }),
      /clusters\[local\]\.cluster\.server is missing/,
    ],
    [
      'a legacy auth provider',
      kubeconfig({ user: { 'auth-provider': { name: 'gcp' } } }),
      /users\[admin\]\.user\.auth-provider is not supported .*use an exec plugin/,
    ],
    [
      'a certificate without its key',
      kubeconfig({ user: { 'client-certificate-data': b64('CERT') } }),
      /has only one of client-certificate and client-key/,
    ],
    ['a proxy', kubeconfig({ cluster: { 'proxy-url': 'http://proxy:3128' } }), /proxy-url is not supported/],
    ['a document that is not a mapping', ['not', 'a', 'mapping'], /the document must be a mapping/],
  ])('refuses %s, naming the file and the field', (_case, doc, message) => {
    const attempt = () => resolveKubeconfig(doc, source);
    expect(attempt).toThrow(InvalidInputError);
    expect(attempt).toThrow(message);
    expect(attempt).toThrow(new RegExp(`^kubeconfig ${source}: `));
  });

  it('never puts credentials into its error messages', () => {
    const doc = kubeconfig({ user: { token: 'super-secret-token', 'auth-provider': {} } });
    expect(() => resolveKubeconfig(doc, source)).toThrow(
      expect.objectContaining({
        message: expect.not.stringContaining('super-secret-token'),
      }),
    );
  });
});
