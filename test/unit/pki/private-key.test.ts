import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { generateKeyMaterial } from '../../../src/pki/private-key.js';

describe('generated key material', () => {
  it.each([
    { algorithm: 'ECDSA' as const, size: 256, curve: 'prime256v1' },
    { algorithm: 'ECDSA' as const, size: 384, curve: 'secp384r1' },
  ])(
    'ECDSA $size: PKCS#8 and SPKI are the bytes OpenSSL writes for the key',
    async ({ algorithm, size, curve }) => {
      // Many keys, so a private scalar or coordinate with leading zero bytes comes up.
      for (let round = 0; round < 300; round++) {
        const key = await generateKeyMaterial({ algorithm, size });
        const privateKey = createPrivateKey({ key: key.pkcs8Der, format: 'der', type: 'pkcs8' });
        expect(privateKey.asymmetricKeyDetails?.namedCurve).toBe(curve);
        expect(privateKey.export({ type: 'pkcs8', format: 'der' })).toEqual(key.pkcs8Der);
        expect(createPublicKey(privateKey).export({ type: 'spki', format: 'der' })).toEqual(key.spkiDer);
      }
    },
  );

  it('RSA 2048: a key pair whose halves belong together', async () => {
    const key = await generateKeyMaterial({ algorithm: 'RSA', size: 2048 });
    const privateKey = createPrivateKey({ key: key.pkcs8Der, format: 'der', type: 'pkcs8' });
    expect(privateKey.asymmetricKeyDetails).toMatchObject({ modulusLength: 2048, publicExponent: 65537n });
    const publicKey = createPublicKey({ key: key.spkiDer, format: 'der', type: 'spki' });
    const signature = sign('sha256', Buffer.from('bundle'), privateKey);
    expect(verify('sha256', Buffer.from('bundle'), publicKey, signature)).toBe(true);
  });
});
