import {
  DEFAULT_OUTBOUND_POLICY,
  decideAddress,
  parseIpLiteral,
  parseOutboundPolicy,
  type OutboundPolicy,
} from '../../../../src/distribution/outbound/index.js';
import { InvalidInputError } from '../../../../src/errors.js';

function decide(policy: OutboundPolicy, host: string, address = host) {
  const parsed = parseIpLiteral(address);
  if (!parsed) throw new Error(`test address ${address} does not parse`);
  return decideAddress(policy, host, parsed);
}

describe('parseIpLiteral', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['[::1]', '0:0:0:0:0:0:0:1'],
    ['fe80::1%eth0', 'fe80:0:0:0:0:0:0:1'],
    ['::ffff:169.254.169.254', '0:0:0:0:0:ffff:a9fe:a9fe'],
    ['2001:db8::8:800:200c:417a', '2001:db8:0:0:8:800:200c:417a'],
  ])('%s is the address %s', async (text, expected) => {
    const { formatIp } = await import('../../../../src/distribution/outbound/ip-address.js');
    const parsed = parseIpLiteral(text);
    expect(parsed && formatIp(parsed)).toBe(expected);
  });

  it.each(['minio.storage.svc', 'localhost', 'deadbeef.example', '1.2.3.4.example', '256.1.1.1', ''])(
    '%s is a host name, not an address',
    (text) => {
      expect(parseIpLiteral(text)).toBeUndefined();
    },
  );
});

describe('decideAddress with the default policy', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.1.2', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['169.254.169.254', 'link-local'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'shared (CGNAT)'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fec0::1', 'site-local'],
    ['224.0.0.251', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.10', 'documentation'],
    ['2001:db8::1', 'documentation'],
    // IPv4 hidden in IPv6 transition forms: IPv4-compatible, NAT64, 6to4, Teredo.
    ['::127.0.0.1', 'reserved'],
    ['64:ff9b::7f00:1', 'reserved'],
    ['2002:7f00:1::', 'reserved'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'reserved'],
  ])('refuses %s (%s)', (address, range) => {
    expect(decide(DEFAULT_OUTBOUND_POLICY, 'target.example', address)).toEqual({ allowed: false, range });
  });

  it.each(['93.184.216.34', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])(
    'allows the public address %s',
    (address) => {
      expect(decide(DEFAULT_OUTBOUND_POLICY, 'target.example', address)).toEqual({ allowed: true });
    },
  );
});

describe('decideAddress with an allow-list and service ranges', () => {
  const policy = parseOutboundPolicy(
    ['10.96.0.0/12', 'minio.storage.svc', '127.0.0.1', 'fd00:10::/64'],
    ['44.10.0.0/16'],
  );

  it.each([
    ['an allow-listed CIDR', 'any.example', '10.96.0.10', true],
    ['its IPv4-mapped form', 'any.example', '::ffff:10.96.0.10', true],
    ['a private address outside the CIDR', 'any.example', '10.0.0.1', false],
    ['an allow-listed single address', 'any.example', '127.0.0.1', true],
    ['its neighbour', 'any.example', '127.0.0.2', false],
    ['an allow-listed IPv6 range', 'any.example', 'fd00:10::5', true],
    ['an allow-listed host on a private address', 'minio.storage.svc', '10.0.0.5', true],
    ['an allow-listed host, spelled in capitals with the root dot', 'MinIO.storage.svc.', '10.0.0.5', true],
    ['an allow-listed host on the metadata address', 'minio.storage.svc', '169.254.169.254', false],
    ['an allow-listed host on a unique-local address', 'minio.storage.svc', 'fd99::1', true],
    ['another host on the same private address', 'minio.storage.svc.evil.example', '10.0.0.5', false],
    ['the service range', 'any.example', '44.10.3.4', false],
    ['the service range for an allow-listed host', 'minio.storage.svc', '44.10.3.4', true],
    ['a public address next to the service range', 'any.example', '44.11.0.1', true],
  ])('%s: %s → %s allowed=%s', (_case, host, address, allowed) => {
    expect(decide(policy, host, address).allowed).toBe(allowed);
  });

  it('names the service range when it refuses one', () => {
    expect(decide(policy, 'any.example', '44.10.3.4')).toEqual({
      allowed: false,
      range: 'cluster service range',
    });
  });
});

describe('parseOutboundPolicy', () => {
  it.each([
    ['10.96.0.0/33', 'CIDR'],
    ['10.96.0.0/12/3', 'CIDR'],
    ['0x7f.1', 'CIDR'],
    ['under_score.example', 'host name'],
    ['http://minio.storage.svc', 'host name'],
    ['*.storage.svc', 'host name'],
  ])('refuses the entry %s, naming the flag', (entry) => {
    expect(() => parseOutboundPolicy([entry], [])).toThrow(InvalidInputError);
    expect(() => parseOutboundPolicy([entry], [])).toThrow(`--outbound-allow entry "${entry}"`);
  });

  it('refuses a service range that is not a CIDR', () => {
    expect(() => parseOutboundPolicy([], ['kubernetes.default'])).toThrow(
      '--service-cidrs entry "kubernetes.default" is not a CIDR',
    );
  });
});
