/**
 * IP addresses and CIDR ranges as bytes, so range checks compare numbers and never strings
 * ("::ffff:7f00:1" and "127.0.0.1" are one address; "0x7f.1" and "2130706433" too). Pure.
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface IpAddress {
  family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  bytes: Uint8Array;
}

export interface Cidr {
  family: 4 | 6;
  bytes: Uint8Array;
  prefix: number;
}

/**
 * The address a host string denotes when it is an IP literal, else undefined (a host name).
 * Accepts what a URL or a socket option may carry: brackets, an IPv6 zone ("fe80::1%eth0"), and
 * the legacy IPv4 forms getaddrinfo also accepts ("2130706433", "0x7f.1", "0177.0.0.1"), which
 * the WHATWG URL parser canonicalises for us.
 */
export function parseIpLiteral(host: string): IpAddress | undefined {
  const unbracketed = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const withoutZone = unbracketed.includes(':') ? unbracketed.replace(/%.*$/, '') : unbracketed;
  if (isIPv6(withoutZone)) return { family: 6, bytes: ipv6Bytes(withoutZone) };
  const ipv4 = isIPv4(withoutZone) ? withoutZone : canonicalIpv4(withoutZone);
  return ipv4 === undefined ? undefined : { family: 4, bytes: Uint8Array.from(ipv4.split('.').map(Number)) };
}

/** `10.96.0.0/12`, or a bare address as its /32 or /128; undefined when it is neither. */
export function parseCidr(text: string): Cidr | undefined {
  const [addressText = '', prefixText, ...rest] = text.split('/');
  if (rest.length > 0) return undefined;
  const address = isIPv4(addressText) || isIPv6(addressText) ? parseIpLiteral(addressText) : undefined;
  if (!address) return undefined;
  const bits = address.bytes.length * 8;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return undefined;
  return { family: address.family, bytes: address.bytes, prefix };
}

export function inCidr(address: IpAddress, cidr: Cidr): boolean {
  if (address.family !== cidr.family) return false;
  for (let bit = 0; bit < cidr.prefix; bit += 8) {
    const mask = (0xff << (8 - Math.min(8, cidr.prefix - bit))) & 0xff;
    const index = bit / 8;
    if (((address.bytes[index] ?? 0) & mask) !== ((cidr.bytes[index] ?? 0) & mask)) return false;
  }
  return true;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d), else the address itself. */
export function unmapped(address: IpAddress): IpAddress {
  if (address.family !== 6) return address;
  const mapped = address.bytes.subarray(0, 12).every((byte, index) => byte === (index >= 10 ? 0xff : 0));
  return mapped ? { family: 4, bytes: address.bytes.slice(12) } : address;
}

export function formatIp(address: IpAddress): string {
  if (address.family === 4) return address.bytes.join('.');
  const groups: string[] = [];
  for (let index = 0; index < 16; index += 2) {
    groups.push((((address.bytes[index] ?? 0) << 8) | (address.bytes[index + 1] ?? 0)).toString(16));
  }
  return groups.join(':');
}

function canonicalIpv4(host: string): string | undefined {
  // Only digits, dots and hex/octal markers can make an IPv4 number; names go no further.
  if (!/^[0-9a-fx.]+$/i.test(host)) return undefined;
  try {
    const hostname = new URL(`http://${host}/`).hostname;
    return isIPv4(hostname) ? hostname : undefined;
  } catch {
    return undefined;
  }
}

/** Expands a valid IPv6 text (checked by isIPv6) into 16 bytes, an embedded IPv4 tail included. */
function ipv6Bytes(text: string): Uint8Array {
  const [head = '', tail] = text.split('::');
  const groups = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [Number.parseInt(group, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const first = groups(head);
  const last = tail === undefined ? [] : groups(tail);
  const all = [...first, ...new Array<number>(8 - first.length - last.length).fill(0), ...last];
  const bytes = new Uint8Array(16);
  all.forEach((group, index) => {
    bytes[index * 2] = group >> 8;
    bytes[index * 2 + 1] = group & 0xff;
  });
  return bytes;
}
