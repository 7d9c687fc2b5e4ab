import semver from 'semver';
import { DRIVER_VERSIONS } from '../../../src/bundle/platforms/driver-versions.js';
import { platformById } from '../../../src/bundle/platforms/index.js';
import { PLATFORM_IDS, type PlatformId } from '../../../src/bundle/platforms/platform.js';
import { cqlshVersion, nodeDriverVersion, pythonDriverVersion } from '../../support/cassandra-install.js';
import { contextWith } from '../platforms/platform-fixtures.js';

function platformFile(id: PlatformId, path: string): string {
  const file = platformById(id)
    .files(contextWith())
    .find((f) => f.path === path);
  if (!file) throw new Error(`platforms/${id}/${path} is not generated`);
  return file.content;
}

describe('DRIVER_VERSIONS', () => {
  it.each(PLATFORM_IDS)('%s: a valid range that holds every version the e2e tests run', (id) => {
    const row = DRIVER_VERSIONS[id];
    expect(semver.validRange(row.versions)).not.toBeNull();
    for (const version of row.e2eTested) expect(semver.satisfies(version, row.versions)).toBe(true);
  });

  // test/e2e installs Node.js, Python and cqlsh with these constants, and builds the Java driver
  // and gocql examples from the bundle's own pom.xml and go.mod: exactly those, and no other platform,
  // are e2e-tested.
  it('marks as e2e-tested exactly the versions test/e2e connects with', () => {
    const pom = /<artifactId>java-driver-core<\/artifactId>\s*<version>([^<]+)<\/version>/.exec(
      platformFile('java-driver-4', 'pom.xml'),
    )?.[1];
    const goMod = /^require github\.com\/apache\/cassandra-gocql-driver\/v2 v(\S+)$/m.exec(
      platformFile('go-gocql', 'go.mod'),
    )?.[1];
    const tested = Object.fromEntries(
      PLATFORM_IDS.filter((id) => DRIVER_VERSIONS[id].e2eTested.length > 0).map((id) => [
        id,
        DRIVER_VERSIONS[id].e2eTested,
      ]),
    );
    expect(tested).toEqual({
      'java-driver-4': [pom],
      python: [pythonDriverVersion],
      nodejs: [nodeDriverVersion],
      'go-gocql': [goMod],
      cqlsh: [cqlshVersion],
    });
  });

  it('names the versions the bundle examples pin for the e2e-tested platforms', () => {
    expect(platformFile('nodejs', 'package.json')).toContain(`"cassandra-driver": "${nodeDriverVersion}"`);
    expect(platformFile('python', 'requirements.txt')).toBe(`cassandra-driver==${pythonDriverVersion}\n`);
    expect(platformById('cqlsh').readme(contextWith())).toContain(`pip install cqlsh==${cqlshVersion}`);
  });
});
