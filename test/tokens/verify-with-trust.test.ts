import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readCertificates } from '../../src/crypto/certificate.js';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { createTokenValidator } from '../../src/tokens/create-token-validator.js';
import type { TrustedKey } from '../../src/tokens/trust-snapshot.js';
import { createTrustSnapshot } from '../../src/trust/create-trust-snapshot.js';
import { trustFromThumbprints } from '../../src/trust/in-memory-trust.js';
import { readFixture } from '../helpers/fixtures.js';

function manyKeys(issuer: string, count: number, withRealKey: boolean): TrustedKey[] {
  const [certificate] = readCertificates(
    readFixture(`interop/${withRealKey ? 'rsa-idm.pem' : 'okta.pem'}`).toString('utf8'),
  );
  return Array.from({ length: count }, (_, i) => ({
    issuer,
    sha1: i.toString(16).toUpperCase().padStart(40, '0'),
    sha256: i.toString(16).toUpperCase().padStart(64, '0'),
    kid: undefined,
    publicKey: certificate!.publicKey,
    certificate: undefined,
    source: 'manual' as const,
    state: 'active' as const,
  }));
}

describe('the key mapping without a certificate in KeyInfo', () => {
  const entry = (
    JSON.parse(readFixture('interop/manifest.json').toString('utf8')) as Array<{
      id: string;
      issuer: string;
      audience: string;
      validateAt: string;
    }>
  ).find((e) => e.id === 'rsa-idm.saml20-response#cert-supplied')!;

  function validatorWith(keys: TrustedKey[]) {
    const { issuer } = trustFromThumbprints(entry.issuer, [], { allowSha1: true });
    return createTokenValidator({
      trust: createTrustSnapshot({ issuers: [issuer], keys }),
      audiences: [entry.audience],
      now: () => new Date(entry.validateAt),
      replayCache: false,
    });
  }

  it('tries the issuer’s keys and accepts the one that verifies', async () => {
    const keys = [
      ...manyKeys(entry.issuer, 5, false),
      ...manyKeys(entry.issuer, 1, true).map((k) => ({ ...k, sha1: 'F'.repeat(40), sha256: 'F'.repeat(64) })),
    ];
    const identity = await validatorWith(keys).validate(readFixture('interop/rsa-idm.saml20-response.xml'));
    assert.equal(identity.signingKey.sha1, 'F'.repeat(40));
  });

  it('refuses to try more than a bounded number of keys, so a token cannot buy thousands of verifications', async () => {
    await assert.rejects(
      validatorWith(manyKeys(entry.issuer, 40, true)).validate(
        readFixture('interop/rsa-idm.saml20-response.xml'),
      ),
      (error: unknown) =>
        isClaimsgateError(error, 'CG_TRUST_KEY_UNKNOWN') && error.detail['trustedKeyCount'] === 40,
    );
  });

  it('names at most 20 trusted keys in an unknown-key error, with the count', async () => {
    await assert.rejects(
      validatorWith(manyKeys(entry.issuer, 30, false)).validate(
        readFixture('interop/rsa-idm.saml20-response.xml'),
      ),
      (error: unknown) => {
        assert.ok(isClaimsgateError(error, 'CG_TRUST_KEY_UNKNOWN'));
        assert.equal((error.detail.expected as unknown[]).length, 20);
        assert.equal(error.detail['trustedKeyCount'], 30);
        assert.match(error.message, /and 10 more/);
        return true;
      },
    );
  });
});
