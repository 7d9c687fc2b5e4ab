import { PLATFORMS } from '../../../src/bundle/platforms/index.js';
import {
  BUNDLE_FILES,
  PLATFORM_IDS,
  type PlatformContext,
  type PlatformId,
} from '../../../src/bundle/platforms/platform.js';
import { contextWith, CREDENTIALS, plainContext } from './platform-fixtures.js';

const CONTEXTS: [string, PlatformContext][] = [
  ['full context', contextWith()],
  ['with credentials', contextWith({ credentials: CREDENTIALS })],
  ['plain context', plainContext()],
];

/** Which secrets a platform's own files may hold: only those its client cannot read from config.json. */
const SECRETS_IN_FILES: Record<PlatformId, { keystores: boolean; credentials: boolean }> = {
  'java-driver-4': { keystores: true, credentials: true },
  python: { keystores: false, credentials: false },
  nodejs: { keystores: false, credentials: false },
  'go-gocql': { keystores: false, credentials: false },
  csharp: { keystores: false, credentials: false },
  cpp: { keystores: false, credentials: true },
  rust: { keystores: false, credentials: false },
  cqlsh: { keystores: false, credentials: false },
  spark: { keystores: true, credentials: true },
  dsbulk: { keystores: true, credentials: true },
  'spring-boot': { keystores: false, credentials: true },
  quarkus: { keystores: true, credentials: true },
  'kafka-connect': { keystores: true, credentials: true },
};

// Distinctive parts of each secret that survive every format's escaping.
const KEYSTORE_MARKERS = ['Ks-p@ss', 'Ts-sec'];
const PFX_MARKER = 'Pfx-7Qz9e3';
const CREDENTIAL_MARKER = 'Cred-pa';

const PLACEHOLDER =
  /TODO|FIXME|CHANGEME|CHANGE_ME|REPLACE|<your|your[-_ ]|xxx|\b9042\b|datacenter1|\bdc1\b|localhost|127\.0\.0\.1/i;

describe('platform registry', () => {
  it('has one module per platform id, in PLATFORM_IDS order', () => {
    expect(PLATFORMS.map((platform) => platform.id)).toEqual([...PLATFORM_IDS]);
  });
});

describe.each(PLATFORMS.map((platform) => [platform.id, platform] as const))('%s', (id, platform) => {
  describe.each(CONTEXTS)('%s', (_name, ctx) => {
    const files = platform.files(ctx);
    const readme = platform.readme(ctx);
    const allText = files.map((file) => file.content).join('\n');

    it('is deterministic', () => {
      expect(platform.files(ctx)).toEqual(files);
      expect(platform.readme(ctx)).toBe(readme);
    });

    it('writes non-empty files at unique relative paths inside its folder', () => {
      expect(files.length).toBeGreaterThan(0);
      expect(new Set(files.map((file) => file.path)).size).toBe(files.length);
      for (const file of files) {
        expect(file.path).toMatch(/^[\w.-]+(\/[\w.-]+)*$/);
        expect(file.path.split('/')).not.toContain('..');
        expect(file.content.trim()).not.toBe('');
      }
    });

    it('contains no placeholder or driver-default value', () => {
      for (const file of files) expect(`${file.path}: ${file.content}`).not.toMatch(PLACEHOLDER);
    });

    it('refers only to files of the bundle layout and of this platform', () => {
      const own = new Set(files.map((file) => file.path));
      for (const text of [allText, readme]) {
        for (const match of text.matchAll(/platforms\/([\w-]+)\/([\w./-]*\w)/g)) {
          expect(match[1]).toBe(id);
          expect(own).toContain(match[2]);
        }
        for (const match of text.matchAll(/[\w.-]+\.(?:jks|pfx|crt)\b/g)) {
          expect(Object.values(BUNDLE_FILES)).toContain(match[0]);
        }
      }
    });

    it('holds keystore passwords only where its client needs them, and never the PFX password', () => {
      for (const marker of KEYSTORE_MARKERS) {
        if (SECRETS_IN_FILES[id].keystores) expect(allText).toContain(marker);
        else expect(allText).not.toContain(marker);
      }
      expect(allText).not.toContain(PFX_MARKER);
    });

    it('carries credentials only when the bundle has them and the client cannot read config.json', () => {
      const expected = ctx.credentials !== undefined && SECRETS_IN_FILES[id].credentials;
      expect(allText.includes(CREDENTIAL_MARKER)).toBe(expected);
      expect(allText.includes(CREDENTIALS.username)).toBe(expected);
    });

    it('has a README section that names the platform and no secret', () => {
      expect(readme.startsWith(`### ${platform.title}\n`)).toBe(true);
      for (const marker of [...KEYSTORE_MARKERS, PFX_MARKER, CREDENTIAL_MARKER])
        expect(readme).not.toContain(marker);
      expect(readme).toMatch(/```sh\n/);
    });
  });
});

describe('all platforms together', () => {
  it('stay small enough for a bundle well under 64 KB', () => {
    const ctx = contextWith({ credentials: CREDENTIALS });
    const bytes = PLATFORMS.flatMap((platform) => [
      ...platform.files(ctx).map((file) => file.content),
      platform.readme(ctx),
    ]).reduce((sum, text) => sum + Buffer.byteLength(text), 0);
    expect(bytes).toBeLessThan(48 * 1024);
  });
});
