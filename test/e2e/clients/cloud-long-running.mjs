/* global process, console, setTimeout */
/**
 * A long-running Node.js client in cloud mode: one session from the zip at argv[2], a query
 * every 250 ms. When the zip file is replaced (a rotated bundle), it opens a session from the new
 * zip, moves its queries there and closes the old one. One JSON line per event on stdout:
 * {"event":"query","ok":true,"hostId":"..","bundle":N} or ok:false with "error";
 * {"event":"connected","bundle":N}. SIGTERM closes the session and exits 0.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';

const cassandra = createRequire(import.meta.url)('cassandra-driver');
const zip = process.argv[2];
const print = (line) => console.log(JSON.stringify(line));
/** The error and, for NoHostAvailableError, what each address failed with. */
const describe = (error) =>
  [
    `${error.name}: ${error.message}`,
    ...Object.entries(error.innerErrors ?? {}).map(([at, inner]) => `${at}: ${inner}`),
  ].join('; ');

let bundle = 0;
let stamp = '';
let client;
let stopping = false;

async function open() {
  const next = fs.statSync(zip);
  const nextStamp = `${next.ino}:${next.mtimeMs}:${next.size}`;
  if (nextStamp === stamp) return;
  const fresh = new cassandra.Client({ cloud: { secureConnectBundle: zip } });
  await fresh.connect();
  const old = client;
  client = fresh;
  stamp = nextStamp;
  bundle += 1;
  print({ event: 'connected', bundle });
  await old?.shutdown();
}

process.on('SIGTERM', () => {
  stopping = true;
  // A session start that hangs must not keep the process alive.
  setTimeout(() => process.exit(0), 3000).unref();
});

for (;;) {
  if (stopping) break;
  try {
    await open();
  } catch (error) {
    print({ event: 'connect-failed', error: describe(error) });
  }
  if (client) {
    try {
      const result = await client.execute('SELECT host_id FROM system.local');
      print({ event: 'query', ok: true, hostId: result.first().host_id.toString(), bundle });
    } catch (error) {
      print({ event: 'query', ok: false, error: describe(error), bundle });
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 250));
}
await client?.shutdown();
process.exit(0);
