import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCertificateDer } from '../../src/crypto/certificate.js';
import { createTrustSnapshot } from '../../src/trust/create-trust-snapshot.js';
import type { TrustedIssuer, TrustedKey } from '../../src/tokens/trust-snapshot.js';
import { createTestCertificate } from '../helpers/certificates.js';

function issuer(uri: string, allowedTenants: string[] = []): TrustedIssuer {
  return { issuer: uri, allowedTenants, audiences: [], allowSha1: false, lastRefresh: undefined };
}

async function key(issuerUri: string, state: TrustedKey['state'] = 'active'): Promise<TrustedKey> {
  const certificate = parseCertificateDer((await createTestCertificate()).der);
  return {
    issuer: issuerUri,
    sha1: certificate.sha1,
    sha256: certificate.sha256,
    kid: certificate.sha1.slice(0, 8),
    publicKey: certificate.publicKey,
    certificate,
    source: 'metadata',
    state,
  };
}

describe('createTrustSnapshot', () => {
  it('finds keys by SHA-1, SHA-256 and kid, and lists an issuer’s keys', async () => {
    const a = await key('https://a.example/');
    const snapshot = createTrustSnapshot({ issuers: [issuer('https://a.example/')], keys: [a] });
    assert.deepEqual(snapshot.keysBySha1(a.sha1!), [a]);
    assert.deepEqual(snapshot.keysBySha256(a.sha256!), [a]);
    assert.deepEqual(snapshot.keysByKid(a.kid!), [a]);
    assert.deepEqual(snapshot.keysForIssuer('https://a.example/'), [a]);
    assert.deepEqual(snapshot.keysBySha1('00'.repeat(20)), []);
  });

  it('leaves retired, revoked and expired keys out of every lookup', async () => {
    const keys = await Promise.all(
      (['retired', 'revoked', 'expired', 'retiring', 'announced'] as const).map((state) =>
        key('https://a.example/', state),
      ),
    );
    const snapshot = createTrustSnapshot({ issuers: [issuer('https://a.example/')], keys });
    assert.deepEqual(
      snapshot.keysForIssuer('https://a.example/').map((k) => k.state),
      ['retiring', 'announced'],
    );
    assert.deepEqual(snapshot.keysBySha1(keys[1]!.sha1!), []);
  });

  it('resolves a multi-tenant issuer template only for allow-listed tenants', () => {
    const template = issuer('https://login.microsoftonline.com/{tenantid}/v2.0', [
      '72f988bf-86f1-41af-91ab-2d7cd011db47',
    ]);
    const snapshot = createTrustSnapshot({ issuers: [template], keys: [] });
    const allowed = 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0';
    assert.equal(snapshot.findIssuer(allowed), template);
    assert.equal(snapshot.findIssuer(allowed, '72F988BF-86F1-41AF-91AB-2D7CD011DB47'), template);
    assert.equal(snapshot.findIssuer(allowed, '00000000-0000-0000-0000-000000000000'), undefined);
    assert.equal(
      snapshot.findIssuer('https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0'),
      undefined,
    );
    assert.equal(snapshot.findIssuer('https://login.microsoftonline.com/{tenantid}/v2.0'), undefined);
    assert.equal(snapshot.findIssuer(`${allowed}/extra`), undefined);
  });

  it('refuses a key of an issuer it does not know, as a programming mistake', async () => {
    const stray = await key('https://b.example/');
    assert.throws(
      () => createTrustSnapshot({ issuers: [issuer('https://a.example/')], keys: [stray] }),
      TypeError,
    );
  });

  it('looks keys up in constant time whatever the number of keys', async () => {
    const template = await key('https://a.example/');
    const keys: TrustedKey[] = [];
    for (let i = 0; i < 100_000; i += 1) {
      const hex = i.toString(16).toUpperCase().padStart(40, '0');
      keys.push({ ...template, sha1: hex, sha256: hex.padStart(64, '0'), kid: `k${i}` });
    }
    const snapshot = createTrustSnapshot({ issuers: [issuer('https://a.example/')], keys });
    assert.equal(snapshot.keysBySha1((99_999).toString(16).toUpperCase().padStart(40, '0')).length, 1);
    assert.equal(snapshot.keysByKid('k12345').length, 1);
  });
});
