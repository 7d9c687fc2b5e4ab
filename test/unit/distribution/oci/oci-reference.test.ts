import { InvalidInputError } from '../../../../src/errors.js';
import {
  parseReference,
  parseRepository,
  referrersTag,
  versionOfTag,
} from '../../../../src/distribution/oci/oci-reference.js';

describe('parseRepository', () => {
  it.each([
    ['registry.example.com/team/orders-scb', 'registry.example.com', 'team/orders-scb'],
    ['127.0.0.1:5000/app', '127.0.0.1:5000', 'app'],
    ['Registry.Example.com/a/b_c/d__e/f.g', 'registry.example.com', 'a/b_c/d__e/f.g'],
    ['localhost/x', 'localhost', 'x'],
  ])('%s is registry %s, repository %s', (text, registry, repository) => {
    expect(parseRepository(text, 'f')).toEqual({ registry, repository });
  });

  it.each([
    ['team/orders', 'the registry host'],
    ['orders', 'the registry host'],
    ['https://registry.example.com/team', 'the registry host'],
    ['registry.example.com/Team/App', 'lower-case'],
    ['registry.example.com/team/', 'lower-case'],
    ['registry.example.com/team/../x', 'lower-case'],
    ['registry.example.com/team?x=1', 'lower-case'],
    ['registry.example.com:99999/team', 'not a TCP port'],
    ['user@registry.example.com/team', 'the registry host'],
  ])('%s is refused, naming the field', (text, words) => {
    expect(() => parseRepository(text, 'spec.target.ociRepository.repository')).toThrow(InvalidInputError);
    expect(() => parseRepository(text, 'spec.target.ociRepository.repository')).toThrow(
      /spec\.target\.ociRepository\.repository/,
    );
    expect(() => parseRepository(text, 'f')).toThrow(words);
  });
});

describe('parseReference', () => {
  it('reads a tag after the port colon', () => {
    expect(parseReference('oci://127.0.0.1:5000/team/app:v3', 'f')).toEqual({
      registry: '127.0.0.1:5000',
      repository: 'team/app',
      tag: 'v3',
    });
    expect(parseReference('registry.example.com/app:latest', 'f').tag).toBe('latest');
  });

  it('reads a digest', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseReference(`oci://r.example/app@${digest}`, 'f')).toEqual({
      registry: 'r.example',
      repository: 'app',
      digest,
    });
  });

  it.each([
    'oci://127.0.0.1:5000/team/app',
    'oci://r.example/app:',
    'oci://r.example/app:.v1',
    'oci://r.example/app@sha256:abc',
    'oci://r.example/app@md5:' + 'a'.repeat(32),
  ])('%s is refused', (text) => {
    expect(() => parseReference(text, '<name>')).toThrow(InvalidInputError);
  });
});

describe('tags', () => {
  it('only v<N> tags name versions', () => {
    expect(versionOfTag('v1')).toBe(1);
    expect(versionOfTag('v120')).toBe(120);
    for (const tag of ['latest', 'v0', 'v01', 'V1', 'v1.0', '1', 'v'])
      expect(versionOfTag(tag)).toBeUndefined();
  });

  it('files referrers under the tag schema name of the digest', () => {
    expect(referrersTag(`sha256:${'b'.repeat(64)}`)).toBe(`sha256-${'b'.repeat(64)}`);
  });
});
