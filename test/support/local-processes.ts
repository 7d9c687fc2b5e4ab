// What every locally started server of the test harness needs (the control plane, Cassandra).
import { readFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';

/** `count` distinct free TCP ports on `host`. */
export async function freeLoopbackPorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  // All listeners stay open until every port is known, so the ports differ from each other.
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once('error', reject);
          server.listen(0, host, () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** The last `lines` lines of a log file, for start-up failure messages. */
export function logTail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
