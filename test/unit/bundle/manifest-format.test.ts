import { buildBundle, type BuiltBundle } from '../../../src/bundle/build-bundle.js';
import { inspectBundle } from '../../../src/bundle/inspect-bundle.js';
import { MANIFEST_FILE, SIGNATURE_FILE, packBundle } from '../../../src/bundle/layout.js';
import { parseManifest, serializeManifest, type BundleManifest } from '../../../src/bundle/manifest.js';
import { DRIVER_VERSIONS } from '../../../src/bundle/platforms/driver-versions.js';
import { PLATFORMS } from '../../../src/bundle/platforms/index.js';
import { signManifest } from '../../../src/bundle/signing.js';
import { verifyBundle } from '../../../src/bundle/verify-bundle.js';
import { describeInspection } from '../../../src/cli/describe-inspection.js';
import { systemClock } from '../../../src/time/clock.js';
import { bundleRequest, createMaterial, type BundleMaterial } from './bundle-fixtures.js';

let material: BundleMaterial;
let bundle: BuiltBundle;
beforeAll(async () => {
  material = await createMaterial();
  bundle = await buildBundle(bundleRequest(material, { platforms: ['nodejs', 'csharp'] }), {
    clock: systemClock,
    platforms: PLATFORMS,
  });
});

/** The same bundle as a writer from before formatVersion would have signed it. */
function formatOneBundle(): Buffer {
  const old: BundleManifest = { ...bundle.manifest };
  delete old.formatVersion;
  delete old.compatibility;
  const manifest = serializeManifest(old);
  const files = bundle.files.map((file) =>
    file.path === MANIFEST_FILE
      ? { ...file, content: manifest }
      : file.path === SIGNATURE_FILE
        ? { ...file, content: signManifest(manifest, material.signingKey) }
        : file,
  );
  return packBundle(files, bundle.certificate.notBefore);
}

describe('manifest format version and driver versions', () => {
  it('records format version 2 and, for each platform of the bundle, its row of the table', () => {
    expect(bundle.manifest.formatVersion).toBe(2);
    expect(bundle.manifest.compatibility).toEqual({
      nodejs: DRIVER_VERSIONS.nodejs,
      csharp: DRIVER_VERSIONS.csharp,
    });
  });

  it('shows them in inspect', () => {
    const text = describeInspection(inspectBundle(bundle.zip));
    expect(text).toContain('format version       2\n');
    expect(text).toContain(
      'driver versions:\n' +
        '  nodejs             cassandra-driver (npm) >=4.0.0 <5.0.0; end-to-end tested: 4.10.0\n' +
        '  csharp             CassandraCSharpDriver (NuGet) >=3.0.0 <4.0.0; not run by scb-operator tests\n',
    );
  });

  it('still verifies and inspects a bundle written before the fields existed', () => {
    const old = formatOneBundle();
    const report = verifyBundle(old, {
      publicKey: material.signingKey.publicKey,
      clientCaPem: material.clientCa.rootPem.certificatePem,
      clock: systemClock,
    });
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    const inspection = inspectBundle(old);
    expect(inspection.format).toEqual({ version: 1, recorded: false });
    expect(inspection.compatibility).toBeUndefined();
    const text = describeInspection(inspection);
    expect(text).toContain('format version       1 (unrecorded)\n');
    expect(text).not.toContain('driver versions');
  });

  it('refuses a formatVersion that is not a whole number from 1', () => {
    for (const formatVersion of [0, 1.5, '2', null]) {
      const bytes = Buffer.from(JSON.stringify({ ...bundle.manifest, formatVersion }));
      expect(parseManifest(bytes)).toEqual({
        problem: 'manifest.json "formatVersion" is not a whole number from 1',
      });
    }
  });
});
