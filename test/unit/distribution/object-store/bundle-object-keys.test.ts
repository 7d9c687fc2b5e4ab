import fc from 'fast-check';
import {
  archiveKeys,
  isBundleObjectKey,
  latestPointerKey,
  versionKeys,
  type BundleLocation,
} from '../../../../src/distribution/object-store/object-keys.js';

const orders: BundleLocation = { prefix: 'prod', namespace: 'shop', name: 'orders' };

/** Every key the publisher writes for `location` up to version `upTo`. */
function keysOf(location: BundleLocation, upTo: number): string[] {
  const keys = [latestPointerKey(location)];
  for (let version = 1; version <= upTo; version++) {
    const live = versionKeys(location, version);
    const archived = archiveKeys(location, version);
    keys.push(live.zip, live.manifest, archived.zip, archived.manifest);
  }
  return keys;
}

describe('isBundleObjectKey', () => {
  it('accepts every key the publisher writes for the bundle', () => {
    for (const key of keysOf(orders, 3)) expect(isBundleObjectKey(orders, key)).toBe(true);
  });

  it.each([
    [
      'another bundle nested under its folder by its prefix',
      'prod/shop/orders/team-b/evil/v1/secure-connect-evil.zip',
    ],
    ["a nested bundle's latest.json", 'prod/shop/orders/x/team-b/evil/latest.json'],
    ['a bundle whose name extends this one', 'prod/shop/orders-2/v1/secure-connect-orders-2.zip'],
    ['a hand-made object in a version folder', 'prod/shop/orders/v1/notes.txt'],
    ["another bundle's zip name in a version folder", 'prod/shop/orders/v1/secure-connect-evil.zip'],
    ['a deeper folder', 'prod/shop/orders/v1/x/manifest.json'],
    ['a version with a leading zero (never written)', 'prod/shop/orders/v01/manifest.json'],
    ['version 0 (never written)', 'prod/shop/orders/v0/manifest.json'],
    ['a dot-segment spelling of its key', 'prod/shop/orders/x/../v1/manifest.json'],
    ['the same path under another prefix', 'staging/shop/orders/v1/manifest.json'],
    ['its folder without the prefix', 'shop/orders/latest.json'],
    ['the folder itself', 'prod/shop/orders/'],
    ['archive/ without a version', 'prod/shop/orders/archive/manifest.json'],
  ])('refuses %s: %s', (_name, key) => {
    expect(isBundleObjectKey(orders, key)).toBe(false);
  });

  it("passes the manifest of a bundle named archive in a namespace named after it: the shapes alone can't tell", () => {
    const impostor = { prefix: 'prod/shop', namespace: 'orders', name: 'archive' };
    const key = versionKeys(impostor, 1).manifest;
    expect(key).toBe(archiveKeys(orders, 1).manifest);
    expect(isBundleObjectKey(orders, key)).toBe(true);
  });

  // Small alphabets make collisions likely: another bundle's key passes the shape check only when
  // one of the two is named "archive" in a namespace named after the other (v<N>/ of one spells
  // archive/v<N>/ of the other), which the object's metadata (scb-bundle) tells apart; latest.json
  // never collides.
  it('another bundle passes the shape check only through the archive/ spelling', () => {
    const word = fc.constantFrom('a', 'b', 'archive', 'v1', 'orders', 'shop');
    const location = fc.record({
      prefix: fc.option(
        fc.array(word, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/')),
        {
          nil: undefined,
        },
      ),
      namespace: word,
      name: word,
    });
    fc.assert(
      fc.property(location, location, (mine, other) => {
        if (mine.namespace === other.namespace && mine.name === other.name) return;
        for (const key of keysOf(other, 2).filter((candidate) => isBundleObjectKey(mine, candidate))) {
          const otherInside = other.name === 'archive' && other.namespace === mine.name;
          const mineInside = mine.name === 'archive' && mine.namespace === other.name;
          expect({ key, archiveSpelling: otherInside || mineInside }).toEqual({ key, archiveSpelling: true });
          expect(key).not.toMatch(/latest\.json$/);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
