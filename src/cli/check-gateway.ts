/**
 * `scbctl check-gateway <zip>`: does this bundle work in the drivers' secure-connect-bundle mode?
 * Reads what a Node.js or Python driver reads (config.json host/port, ca.crt, cert, key) and
 * probes the gateway as they will (src/gateway/probe.ts).
 */
import { InvalidInputError } from '../errors.js';
import { probeGateway, type GatewayProbeResult } from '../gateway/probe.js';
import { readZip } from '../bundle/zip-reader.js';
import { secretValue } from '../observability/secret-value.js';

export async function checkGateway(
  zip: Buffer,
  what: string,
  timeoutMs: number,
): Promise<GatewayProbeResult> {
  const entries = new Map(readZip(zip, what).map((entry) => [entry.path, entry.content.toString('utf8')]));
  const file = (name: string): string => {
    const content = entries.get(name);
    if (content === undefined) throw new InvalidInputError('NotABundle', `${what} has no ${name}`);
    return content;
  };
  const config = JSON.parse(file('config.json')) as { host?: unknown; port?: unknown };
  if (typeof config.host !== 'string' || typeof config.port !== 'number') {
    throw new InvalidInputError('NotABundle', `${what}: config.json has no host (string) and port (number)`);
  }
  return probeGateway({
    metadataHost: config.host,
    metadataPort: config.port,
    identity: { certPem: file('cert'), keyPem: secretValue(file('key')) },
    trustPem: file('ca.crt'),
    timeoutMs,
  });
}
