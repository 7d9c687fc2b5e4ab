import { createHash } from 'node:crypto';
import {
  ANNOTATIONS,
  bundleArtifact,
  EMPTY_CONFIG,
  MEDIA_TYPES,
  parseImageManifest,
  parseIndex,
  referrersIndex,
  signatureArtifact,
} from '../../../../src/distribution/oci/artifact-manifest.js';

const sha = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

const bundle = () =>
  bundleArtifact({
    namespace: 'apps',
    name: 'orders',
    version: 3,
    encryptedZip: Buffer.from('SCBENC...ciphertext'),
    zipSHA256: 'ab'.repeat(32),
    keyId: '0123456789abcdef',
    created: new Date('2026-12-04T10:00:00Z'),
  });

describe('bundleArtifact', () => {
  it('is an OCI 1.1 artifact: empty config, one encrypted zip layer, annotations naming the version', () => {
    const { manifest, blobs } = bundle();
    const parsed = parseImageManifest(manifest.bytes);
    expect(parsed).toMatchObject({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      artifactType: 'application/vnd.scb-operator.bundle.v1',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', size: 2 },
      annotations: {
        [ANNOTATIONS.bundle]: 'apps/orders',
        [ANNOTATIONS.version]: '3',
        [ANNOTATIONS.zipSHA256]: 'ab'.repeat(32),
        [ANNOTATIONS.keyId]: '0123456789abcdef',
        'org.opencontainers.image.created': '2026-12-04T10:00:00.000Z',
      },
    });
    // The image-spec's well-known digest of the empty descriptor.
    expect(parsed?.config.digest).toBe(
      'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
    );
    expect(parsed?.layers).toEqual([
      {
        mediaType: MEDIA_TYPES.encryptedZip,
        digest: sha(Buffer.from('SCBENC...ciphertext')),
        size: 19,
        annotations: { 'org.opencontainers.image.title': 'secure-connect-orders.zip.scbenc' },
      },
    ]);
    expect(blobs.map((blob) => blob.descriptor.digest)).toEqual([
      EMPTY_CONFIG.descriptor.digest,
      parsed?.layers[0]?.digest,
    ]);
    expect(manifest.descriptor.digest).toBe(sha(manifest.bytes));
    expect(manifest.descriptor.size).toBe(manifest.bytes.length);
  });

  it('every blob descriptor names its own bytes', () => {
    for (const blob of bundle().blobs) {
      expect(blob.descriptor.digest).toBe(sha(blob.bytes));
      expect(blob.descriptor.size).toBe(blob.bytes.length);
    }
  });
});

describe('signatureArtifact', () => {
  it('refers to the bundle artifact as its subject and carries the encrypted manifest and the signature', () => {
    const subject = bundle().manifest.descriptor;
    const { manifest, blobs } = signatureArtifact({
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      namespace: 'apps',
      name: 'orders',
      version: 3,
      encryptedManifest: Buffer.from('SCBENC manifest'),
      signature: Buffer.from([0x30, 0x45]),
      keyId: '0123456789abcdef',
    });
    const parsed = parseImageManifest(manifest.bytes);
    expect(parsed?.artifactType).toBe('application/vnd.scb-operator.manifest-signature.v1');
    expect(parsed?.subject).toEqual({
      mediaType: MEDIA_TYPES.manifest,
      digest: subject.digest,
      size: subject.size,
    });
    expect(parsed?.layers.map((layer) => layer.mediaType)).toEqual([
      MEDIA_TYPES.encryptedManifest,
      MEDIA_TYPES.signature,
    ]);
    expect(blobs).toHaveLength(3);
  });
});

describe('referrersIndex', () => {
  it('adds a referrer once and keeps the others', () => {
    const a = { mediaType: MEDIA_TYPES.manifest, digest: `sha256:${'a'.repeat(64)}`, size: 1 };
    const b = { mediaType: MEDIA_TYPES.manifest, digest: `sha256:${'b'.repeat(64)}`, size: 2 };
    const index = referrersIndex([a, b], b);
    expect(index.descriptor.mediaType).toBe(MEDIA_TYPES.index);
    expect(parseIndex(index.bytes)).toEqual([a, b]);
  });
});

describe('parsing what a registry returns', () => {
  it('refuses what is not an image manifest or index', () => {
    expect(parseImageManifest(Buffer.from('not json'))).toBeUndefined();
    expect(parseImageManifest(Buffer.from('{"schemaVersion":1}'))).toBeUndefined();
    expect(parseIndex(Buffer.from('{}'))).toBeUndefined();
  });
});
