import { parseAuthChallenge, repositoryScope } from '../../../../src/distribution/oci/auth-challenge.js';

describe('parseAuthChallenge', () => {
  it('reads the Docker token challenge', () => {
    expect(
      parseAuthChallenge(
        'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:team/app:pull,push"',
      ),
    ).toEqual({
      scheme: 'bearer',
      realm: 'https://auth.example.com/token',
      service: 'registry.example.com',
      scope: 'repository:team/app:pull,push',
    });
  });

  it("reads distribution's htpasswd challenge", () => {
    expect(parseAuthChallenge('Basic realm="scb-test"')).toEqual({ scheme: 'basic', realm: 'scb-test' });
    expect(parseAuthChallenge('basic')).toEqual({ scheme: 'basic' });
  });

  it('prefers Bearer when several challenges are offered, whatever their order', () => {
    expect(parseAuthChallenge('Basic realm="x", Bearer realm="https://a.example/t",service=s')).toMatchObject(
      {
        scheme: 'bearer',
        realm: 'https://a.example/t',
        service: 's',
      },
    );
  });

  it('keeps quoted commas and escaped quotes inside a value', () => {
    expect(parseAuthChallenge('Bearer realm="https://a.example/t?x=1,2",scope="a\\"b"')).toMatchObject({
      realm: 'https://a.example/t?x=1,2',
      scope: 'a"b',
    });
  });

  it('a Bearer challenge without a realm cannot be answered', () => {
    expect(parseAuthChallenge('Bearer service="x"')).toEqual({ scheme: 'unsupported', name: 'bearer' });
  });

  it('names a scheme it cannot answer, and nothing for no header', () => {
    expect(parseAuthChallenge('Negotiate')).toEqual({ scheme: 'unsupported', name: 'negotiate' });
    expect(parseAuthChallenge(undefined)).toBeUndefined();
    expect(parseAuthChallenge('')).toBeUndefined();
  });

  it('asks for one repository scope', () => {
    expect(repositoryScope('team/app', ['pull', 'push'])).toBe('repository:team/app:pull,push');
  });
});
