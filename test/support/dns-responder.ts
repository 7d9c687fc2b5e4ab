/**
 * A tiny authoritative DNS responder on a loopback address, for clients that resolve names with
 * DNS queries and ignore /etc/hosts (the Node.js driver resolves the SNI proxy's name with
 * dns.resolve4). It answers A queries for the names it is given, an empty answer for other types
 * of those names, and NXDOMAIN for everything else: nothing is forwarded anywhere.
 *
 * A client uses it without being modified through `resolverNamespaceCommand`: its own mount
 * namespace in which /etc/resolv.conf names this responder (root only: unshare and mount).
 */
import dgram from 'node:dgram';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

export interface DnsResponder {
  address: string;
  /** Queries answered, by name (lower case): a test can tell that a client really asked. */
  queries: Map<string, number>;
  close(): Promise<void>;
}

const TYPE_A = 1;
const CLASS_IN = 1;

export async function startDnsResponder(
  address: string,
  records: Record<string, string>,
): Promise<DnsResponder> {
  const socket = dgram.createSocket('udp4');
  const queries = new Map<string, number>();
  const known = new Map(Object.entries(records).map(([name, ip]) => [name.toLowerCase(), ip]));
  socket.on('message', (message, remote) => {
    const reply = answer(message, known, queries);
    if (reply !== undefined) socket.send(reply, remote.port, remote.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    // resolv.conf cannot name a port: 53 it is.
    socket.bind(53, address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return {
    address,
    queries,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

function answer(query: Buffer, known: Map<string, string>, queries: Map<string, number>): Buffer | undefined {
  if (query.length < 12 || query.readUInt16BE(4) !== 1) return undefined;
  const labels: string[] = [];
  let offset = 12;
  for (;;) {
    const length = query[offset];
    if (length === undefined || length > 63) return undefined;
    offset += 1;
    if (length === 0) break;
    labels.push(query.subarray(offset, offset + length).toString('latin1'));
    offset += length;
  }
  if (offset + 4 > query.length) return undefined;
  const type = query.readUInt16BE(offset);
  const questionEnd = offset + 4;
  const name = labels.join('.').toLowerCase();
  queries.set(name, (queries.get(name) ?? 0) + 1);
  const ip = known.get(name);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  // QR, AA, RD copied; NXDOMAIN for names we do not hold.
  header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100) | (ip === undefined ? 3 : 0), 2);
  header.writeUInt16BE(1, 4);
  const answers = ip !== undefined && type === TYPE_A ? 1 : 0;
  header.writeUInt16BE(answers, 6);
  const question = query.subarray(12, questionEnd);
  if (answers === 0) return Buffer.concat([header, question]);
  const record = Buffer.alloc(16);
  record.writeUInt16BE(0xc00c, 0); // the name in the question
  record.writeUInt16BE(TYPE_A, 2);
  record.writeUInt16BE(CLASS_IN, 4);
  record.writeUInt32BE(5, 6); // TTL
  record.writeUInt16BE(4, 10);
  (ip as string).split('.').forEach((octet, index) => record.writeUInt8(Number(octet), 12 + index));
  return Buffer.concat([header, question, record]);
}

/**
 * `command args` run in a new mount namespace whose /etc/resolv.conf names only the responder
 * (the file is written into `workDir`); the host's file is untouched.
 */
export function resolverNamespaceCommand(
  responder: DnsResponder,
  workDir: string,
  command: string,
  args: string[],
): { command: string; args: string[] } {
  const resolvConf = path.join(workDir, 'resolv.conf');
  writeFileSync(resolvConf, `nameserver ${responder.address}\noptions timeout:2 attempts:2\n`);
  return {
    command: 'unshare',
    args: [
      '--mount',
      '--propagation',
      'private',
      '--fork',
      'sh',
      '-c',
      'mount --bind "$0" /etc/resolv.conf && exec "$@"',
      resolvConf,
      command,
      ...args,
    ],
  };
}
