import { DEFAULT_OUTBOUND_POLICY, parseOutboundPolicy } from '../../../src/distribution/outbound/index.js';
import { InvalidInputError } from '../../../src/errors.js';
import { readOperatorConfig, type OperatorConfig } from '../../../src/operator/config.js';

const HOST = 'worker-1';

function thrown(run: () => unknown): InvalidInputError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected an InvalidInputError');
}

describe('readOperatorConfig', () => {
  it('serves the download API only when asked, and wants both TLS files or neither', () => {
    expect(readOperatorConfig([], { SCB_DOWNLOAD_ADDRESS: ':8443' }, HOST).download).toEqual({
      host: '0.0.0.0',
      port: 8443,
      tlsCertFile: undefined,
      tlsKeyFile: undefined,
      linkKeySecret: 'scb-operator-download-link-key',
    });
    const error = thrown(() =>
      readOperatorConfig(['--download-address=:8443', '--download-tls-cert=/c.pem'], {}, HOST),
    );
    expect(error.message).toContain('--download-tls-cert and --download-tls-key go together');
    expect(thrown(() => readOperatorConfig(['--download-address=nope'], {}, HOST)).message).toContain(
      '--download-address (SCB_DOWNLOAD_ADDRESS) "nope" must be HOST:PORT',
    );
  });

  it('uses the documented defaults when neither flags nor environment set anything', () => {
    expect(readOperatorConfig([], {}, HOST)).toEqual<OperatorConfig>({
      kubeconfig: undefined,
      watchNamespace: undefined,
      operatorNamespace: 'default',
      leaderElect: true,
      leaderElectionId: 'scb-operator',
      identity: `${HOST}-${process.pid}`,
      metricsHost: '0.0.0.0',
      metricsPort: 8080,
      concurrency: 4,
      logLevel: 'info',
      signingKeySecret: 'scb-operator-signing-key',
      clusterResyncMs: 300_000,
      download: undefined,
      outbound: DEFAULT_OUTBOUND_POLICY,
      gatewayResolve: new Map(),
      gatewayProbeIntervalMs: 180_000,
    });
  });

  const env = {
    KUBECONFIG: '/env/kubeconfig',
    SCB_WATCH_NAMESPACE: 'env-ns',
    POD_NAMESPACE: 'env-operator',
    SCB_LEADER_ELECT: 'false',
    SCB_METRICS_ADDRESS: '127.0.0.1:9000',
    SCB_CONCURRENCY: '8',
    SCB_LOG_LEVEL: 'warn',
    SCB_CLUSTER_RESYNC_SECONDS: '60',
    SCB_OUTBOUND_ALLOW: '10.96.0.0/12, minio.storage.svc',
    SCB_SERVICE_CIDRS: '10.96.0.0/12',
    POD_NAME: 'scb-operator-7d9f-abcde',
  };

  it('takes each setting from the environment over the default', () => {
    expect(readOperatorConfig([], env, HOST)).toMatchObject<Partial<OperatorConfig>>({
      kubeconfig: '/env/kubeconfig',
      watchNamespace: 'env-ns',
      operatorNamespace: 'env-operator',
      leaderElect: false,
      identity: 'scb-operator-7d9f-abcde',
      metricsHost: '127.0.0.1',
      metricsPort: 9000,
      concurrency: 8,
      logLevel: 'warn',
      clusterResyncMs: 60_000,
      outbound: parseOutboundPolicy(['10.96.0.0/12', 'minio.storage.svc'], ['10.96.0.0/12']),
    });
  });

  it('takes each flag over its environment variable', () => {
    const argv = [
      '--kubeconfig=/flag/kubeconfig',
      '--watch-namespace',
      'flag-ns',
      '--operator-namespace',
      'flag-operator',
      '--leader-elect',
      '--leader-election-id',
      'my-lease',
      '--metrics-address',
      '[::1]:9100',
      '--concurrency',
      '16',
      '--log-level',
      'debug',
      '--signing-key-secret',
      'my-signing-key',
      '--cluster-resync',
      '600',
      '--download-address',
      '127.0.0.1:8443',
      '--download-tls-cert',
      '/tls/cert.pem',
      '--download-tls-key',
      '/tls/key.pem',
      '--outbound-allow=127.0.0.0/8,::1',
      '--service-cidrs=',
    ];
    expect(readOperatorConfig(argv, env, HOST)).toEqual<OperatorConfig>({
      kubeconfig: '/flag/kubeconfig',
      watchNamespace: 'flag-ns',
      operatorNamespace: 'flag-operator',
      leaderElect: true,
      leaderElectionId: 'my-lease',
      identity: 'scb-operator-7d9f-abcde',
      metricsHost: '::1',
      metricsPort: 9100,
      concurrency: 16,
      logLevel: 'debug',
      signingKeySecret: 'my-signing-key',
      clusterResyncMs: 600_000,
      download: {
        host: '127.0.0.1',
        port: 8443,
        tlsCertFile: '/tls/cert.pem',
        tlsKeyFile: '/tls/key.pem',
        linkKeySecret: 'scb-operator-download-link-key',
      },
      // An empty flag still beats its variable: nothing refused beyond the defaults.
      outbound: parseOutboundPolicy(['127.0.0.0/8', '::1'], []),
      gatewayResolve: new Map(),
      gatewayProbeIntervalMs: 180_000,
    });
  });

  it('reads --gateway-resolve host:port:address entries (like curl --resolve), IPv6 in brackets', () => {
    const config = readOperatorConfig(
      ['--gateway-resolve', 'CQL-GW.example.com:29080:10.0.0.7, cql-gw.example.com:29042:[fd00::7]'],
      { SCB_GATEWAY_RESOLVE: 'ignored.example:1:10.0.0.1' },
      HOST,
    );
    expect(config.gatewayResolve).toEqual(
      new Map([
        ['cql-gw.example.com:29080', '10.0.0.7'],
        ['cql-gw.example.com:29042', 'fd00::7'],
      ]),
    );
    expect(
      readOperatorConfig([], { SCB_GATEWAY_RESOLVE: 'gw.test:29080:127.0.0.2' }, HOST).gatewayResolve,
    ).toEqual(new Map([['gw.test:29080', '127.0.0.2']]));
  });

  it.each([
    'gw.test:29080',
    'gw.test:29080:gw2.test',
    'gw.test:0:10.0.0.1',
    'gw.test:70000:10.0.0.1',
    'gw_x:1:10.0.0.1',
  ])('refuses the --gateway-resolve entry %s, naming the flag and the form', (entry) => {
    const error = thrown(() => readOperatorConfig(['--gateway-resolve', entry], {}, HOST));
    expect(error.message).toContain(
      `--gateway-resolve (SCB_GATEWAY_RESOLVE) entry "${entry}" must be host:port:address`,
    );
    expect(error.field).toBe('--gateway-resolve');
  });

  it('refuses an outbound allow-list entry that is neither a CIDR nor a host name, naming flag and variable', () => {
    expect(
      thrown(() => readOperatorConfig([], { SCB_OUTBOUND_ALLOW: '10.0.0.0/8,http://x' }, HOST)).message,
    ).toBe(
      '--outbound-allow (SCB_OUTBOUND_ALLOW) entry "http://x" is neither a CIDR (10.96.0.0/12, fd00::/8), an IP address nor a host name (minio.storage.svc)',
    );
    expect(thrown(() => readOperatorConfig(['--service-cidrs=10.96.0.0/40'], {}, HOST)).message).toBe(
      '--service-cidrs (SCB_SERVICE_CIDRS) entry "10.96.0.0/40" is not a CIDR, e.g. 10.96.0.0/12',
    );
  });

  it.each<[string, string[], Record<string, string>, boolean]>([
    ['default', [], {}, true],
    ['SCB_LEADER_ELECT=true', [], { SCB_LEADER_ELECT: 'true' }, true],
    ['SCB_LEADER_ELECT=false', [], { SCB_LEADER_ELECT: 'false' }, false],
    ['an empty SCB_LEADER_ELECT is unset', [], { SCB_LEADER_ELECT: '' }, true],
    ['--no-leader-elect', ['--no-leader-elect'], {}, false],
    [
      '--no-leader-elect beats SCB_LEADER_ELECT=true',
      ['--no-leader-elect'],
      { SCB_LEADER_ELECT: 'true' },
      false,
    ],
    ['--leader-elect beats SCB_LEADER_ELECT=false', ['--leader-elect'], { SCB_LEADER_ELECT: 'false' }, true],
    // A flag beats even an invalid variable: the variable is never consulted.
    [
      '--no-leader-elect beats SCB_LEADER_ELECT=maybe',
      ['--no-leader-elect'],
      { SCB_LEADER_ELECT: 'maybe' },
      false,
    ],
  ])('leader election: %s', (_name, argv, environment, expected) => {
    expect(readOperatorConfig(argv, environment, HOST).leaderElect).toBe(expected);
  });

  it.each<[string, Record<string, string>, string | undefined]>([
    ['unset: cluster-wide', {}, undefined],
    ['empty SCB_WATCH_NAMESPACE: cluster-wide', { SCB_WATCH_NAMESPACE: '' }, undefined],
    ['SCB_WATCH_NAMESPACE=shop: that namespace only', { SCB_WATCH_NAMESPACE: 'shop' }, 'shop'],
  ])('watch scope: %s', (_name, environment, expected) => {
    expect(readOperatorConfig([], environment, HOST).watchNamespace).toBe(expected);
  });

  it('an empty --watch-namespace also means cluster-wide, even over SCB_WATCH_NAMESPACE', () => {
    expect(
      readOperatorConfig(['--watch-namespace='], { SCB_WATCH_NAMESPACE: 'shop' }, HOST).watchNamespace,
    ).toBeUndefined();
  });

  it.each<[string, Record<string, string>, string]>([
    ['POD_NAME names the replica', { POD_NAME: 'scb-operator-0' }, 'scb-operator-0'],
    ['without POD_NAME: host name and process id', {}, `${HOST}-${process.pid}`],
    ['an empty POD_NAME counts as unset', { POD_NAME: '' }, `${HOST}-${process.pid}`],
  ])('identity: %s', (_name, environment, expected) => {
    expect(readOperatorConfig([], environment, HOST).identity).toBe(expected);
  });

  it.each<[string, string, string, number]>([
    ['port 0 picks a free port', '127.0.0.1:0', '127.0.0.1', 0],
    ['highest port', '0.0.0.0:65535', '0.0.0.0', 65_535],
    ['an empty host listens everywhere', ':9090', '0.0.0.0', 9090],
    // Written the way Kubernetes operators take it; Node's listen() needs the host unbracketed.
    ['IPv6 any-address in brackets', '[::]:8080', '::', 8080],
  ])('metrics address: %s', (_name, address, host, port) => {
    const config = readOperatorConfig(['--metrics-address', address], {}, HOST);
    expect([config.metricsHost, config.metricsPort]).toEqual([host, port]);
  });

  describe('a bad value stops start-up with a message naming the flag and its variable', () => {
    it.each<[string, string[], Record<string, string>, string, string, string]>([
      [
        'port above 65535 (flag)',
        ['--metrics-address', '0.0.0.0:65536'],
        {},
        '--metrics-address',
        'SCB_METRICS_ADDRESS',
        '0.0.0.0:65536',
      ],
      [
        'port above 65535 (env)',
        [],
        { SCB_METRICS_ADDRESS: '0.0.0.0:99999' },
        '--metrics-address',
        'SCB_METRICS_ADDRESS',
        '0.0.0.0:99999',
      ],
      [
        'address without a port',
        [],
        { SCB_METRICS_ADDRESS: 'localhost' },
        '--metrics-address',
        'SCB_METRICS_ADDRESS',
        'localhost',
      ],
      ['concurrency 0', ['--concurrency', '0'], {}, '--concurrency', 'SCB_CONCURRENCY', '"0"'],
      ['concurrency abc', [], { SCB_CONCURRENCY: 'abc' }, '--concurrency', 'SCB_CONCURRENCY', '"abc"'],
      ['concurrency above 64', ['--concurrency', '65'], {}, '--concurrency', 'SCB_CONCURRENCY', '"65"'],
      ['fractional concurrency', ['--concurrency', '2.5'], {}, '--concurrency', 'SCB_CONCURRENCY', '"2.5"'],
      [
        'unknown log level (flag)',
        ['--log-level', 'verbose'],
        {},
        '--log-level',
        'SCB_LOG_LEVEL',
        'error, warn, info, debug',
      ],
      ['unknown log level (env)', [], { SCB_LOG_LEVEL: 'trace' }, '--log-level', 'SCB_LOG_LEVEL', '"trace"'],
      [
        'SCB_LEADER_ELECT=maybe',
        [],
        { SCB_LEADER_ELECT: 'maybe' },
        '--leader-elect',
        'SCB_LEADER_ELECT',
        'true or false',
      ],
      [
        'cluster resync under 10 s',
        ['--cluster-resync', '5'],
        {},
        '--cluster-resync',
        'SCB_CLUSTER_RESYNC_SECONDS',
        '10 to 86400',
      ],
    ])('%s', (_name, argv, environment, flag, variable, hint) => {
      const error = thrown(() => readOperatorConfig(argv, environment, HOST));
      expect(error.reason).toBe('InvalidFlag');
      expect(error.message).toContain(flag);
      expect(error.message).toContain(variable);
      expect(error.message).toContain(hint);
    });
  });

  it.each<[string, string[], string]>([
    ['an unknown flag', ['--bogus'], "'--bogus'"],
    ['a flag without its value', ['--concurrency'], "'--concurrency <n>'"],
    // Commander does not quote the stray word; it still says what is wrong.
    ['a stray argument', ['extra'], 'too many arguments'],
  ])('%s is refused, naming it', (_name, argv, named) => {
    const error = thrown(() => readOperatorConfig(argv, {}, HOST));
    expect(error.reason).toBe('InvalidFlag');
    expect(error.message).toContain(named);
    expect(error.message).not.toMatch(/^error: /);
  });
});
