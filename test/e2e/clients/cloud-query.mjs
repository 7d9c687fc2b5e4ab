/* global process, console */
/**
 * The Node.js driver in cloud mode with nothing but the zip:
 *   new Client({ cloud: { secureConnectBundle } })
 * Runs `SELECT host_id FROM system.local` N times (each on the next node of the round robin) and
 * prints one JSON line: {"releaseVersion":"..","hostIds":[...distinct node host_ids]}.
 * Usage: node cloud-query.mjs <zip> [queries]
 */
import { createRequire } from 'node:module';

// Installed outside the project and found through NODE_PATH, which only require() honours.
const cassandra = createRequire(import.meta.url)('cassandra-driver');

const [zip, count = '8'] = process.argv.slice(2);
const client = new cassandra.Client({ cloud: { secureConnectBundle: zip } });
try {
  await client.connect();
  const hostIds = new Set();
  let releaseVersion;
  for (let i = 0; i < Number(count); i++) {
    const result = await client.execute('SELECT host_id, release_version FROM system.local');
    hostIds.add(result.first().host_id.toString());
    releaseVersion = result.first().release_version;
  }
  console.log(JSON.stringify({ releaseVersion, hostIds: [...hostIds].sort() }));
} catch (error) {
  console.error(`${error.name}: ${error.message}`);
  process.exitCode = 1;
} finally {
  await client.shutdown();
}
