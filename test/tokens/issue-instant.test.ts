import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { computeThumbprint } from '../../src/crypto/thumbprint.js';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { createTokenValidator } from '../../src/tokens/create-token-validator.js';
import { checkTokenLifetime, MAX_TOKEN_AGE_SECONDS } from '../../src/tokens/token-conditions.js';
import type { TrustSnapshot } from '../../src/tokens/trust-snapshot.js';
import { validateJwt } from '../../src/tokens/validate-jwt.js';
import { createTrustSnapshot } from '../../src/trust/create-trust-snapshot.js';
import { trustFromThumbprints } from '../../src/trust/in-memory-trust.js';
import { createTestCertificate, type TestCertificate } from '../helpers/certificates.js';
import { mintAssertion } from '../helpers/independent-signer.js';
import {
  NOW,
  NOW_SECONDS,
  buildTrust,
  claimsFor,
  contextFor,
  createSigningKey,
  publishedKey,
  rejectsWith,
  signJwt,
  type SigningKey,
} from '../helpers/jwt.js';

const HOUR_MS = 3_600_000;
const ISSUER = 'https://issuer-a.example/';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    assert.ok(isClaimsgateError(error), 'a coded error');
    return error.code;
  }
}

describe('checkTokenLifetime and the issue instant', () => {
  const context = contextFor(createTrustSnapshot({ issuers: [], keys: [] }));
  const lifetime = (issuedAt: Date | undefined) => ({
    notBefore: new Date(NOW.getTime() - 60_000),
    notOnOrAfter: new Date(NOW.getTime() + HOUR_MS),
    issuedAt,
  });

  it('refuses an issue instant in the year 2100 with CG_TOKEN_NOT_YET_VALID', () => {
    assert.equal(
      codeOf(() => checkTokenLifetime(lifetime(new Date('2100-01-01T00:00:00Z')), context, 'The token')),
      'CG_TOKEN_NOT_YET_VALID',
    );
  });

  it('accepts an issue instant ahead of the clock by no more than the skew', () => {
    const ahead = new Date(NOW.getTime() + context.clockSkewSeconds * 1000);
    assert.equal(
      codeOf(() => checkTokenLifetime(lifetime(ahead), context, 'The token')),
      undefined,
    );
    const beyond = new Date(ahead.getTime() + 1000);
    assert.equal(
      codeOf(() => checkTokenLifetime(lifetime(beyond), context, 'The token')),
      'CG_TOKEN_NOT_YET_VALID',
    );
  });

  it('accepts an issue instant nine hours old while the token is still valid', () => {
    const old = new Date(NOW.getTime() - 9 * HOUR_MS);
    assert.equal(
      codeOf(() => checkTokenLifetime(lifetime(old), context, 'The token')),
      undefined,
    );
  });

  it('refuses an issue instant more than a day (and the skew) old with CG_TOKEN_EXPIRED', () => {
    const limit = NOW.getTime() - (MAX_TOKEN_AGE_SECONDS + context.clockSkewSeconds) * 1000;
    assert.equal(
      codeOf(() => checkTokenLifetime(lifetime(new Date(limit)), context, 'The token')),
      undefined,
    );
    assert.equal(
      codeOf(() => checkTokenLifetime(lifetime(new Date(limit - 1000)), context, 'The token')),
      'CG_TOKEN_EXPIRED',
    );
    assert.equal(
      codeOf(() => checkTokenLifetime(lifetime(new Date(0)), context, 'The token')),
      'CG_TOKEN_EXPIRED',
    );
  });

  it('accepts a token that states no issue instant', () => {
    assert.equal(
      codeOf(() => checkTokenLifetime(lifetime(undefined), context, 'The token')),
      undefined,
    );
  });
});

describe('validateJwt and iat', () => {
  let key: SigningKey;
  let trust: TrustSnapshot;
  before(async () => {
    key = await createSigningKey('a-rsa');
    trust = buildTrust([{ issuer: ISSUER, keys: [publishedKey(key)] }]);
  });

  it('refuses an iat in the year 2100 with CG_TOKEN_NOT_YET_VALID, though nbf and exp are fine', async () => {
    const iat = Date.parse('2100-01-01T00:00:00Z') / 1000;
    const token = await signJwt(key.privateKey, 'RS256', claimsFor(ISSUER, { iat }), { kid: 'a-rsa' });
    const { detail } = await rejectsWith(validateJwt(token, contextFor(trust)), 'CG_TOKEN_NOT_YET_VALID');
    assert.equal(detail.issuedAt, '2100-01-01T00:00:00.000Z');
  });

  it('refuses an iat two days old with CG_TOKEN_EXPIRED, though exp is in the future', async () => {
    const iat = NOW_SECONDS - 2 * 86_400;
    const token = await signJwt(key.privateKey, 'RS256', claimsFor(ISSUER, { iat, nbf: iat }), {
      kid: 'a-rsa',
    });
    await rejectsWith(validateJwt(token, contextFor(trust)), 'CG_TOKEN_EXPIRED');
  });

  it('accepts an iat nine hours old and reports it as issuedAt', async () => {
    const iat = NOW_SECONDS - 9 * 3600;
    const token = await signJwt(key.privateKey, 'RS256', claimsFor(ISSUER, { iat, nbf: iat }), {
      kid: 'a-rsa',
    });
    const identity = await validateJwt(token, contextFor(trust));
    assert.equal(identity.issuedAt?.getTime(), iat * 1000);
  });
});

describe('SAML assertions and IssueInstant', () => {
  const SAML_ISSUER = 'http://sts.independent.example/adfs/services/trust';
  const AUDIENCE = 'urn:claimsgate:independent-rp';
  let signer: TestCertificate;
  before(async () => {
    signer = await createTestCertificate();
  });

  function validate(issuedAt: Date, lifetimeSeconds: number) {
    const xml = mintAssertion({
      version: '2.0',
      certificatePem: signer.pem,
      privateKeyPem: signer.privateKeyPem,
      issuedAt,
      lifetimeSeconds,
      id: '_issue-instant',
      issuer: SAML_ISSUER,
      audience: AUDIENCE,
      attributes: {},
      nameIdentifier: 'alice@contoso.example',
    });
    const trusted = trustFromThumbprints(SAML_ISSUER, [computeThumbprint(signer.der, 'sha1')]);
    const validator = createTokenValidator({
      trust: createTrustSnapshot({ issuers: [trusted.issuer], keys: trusted.keys }),
      audiences: [AUDIENCE],
      now: () => NOW,
      replayCache: false,
    });
    return validator.validate(xml);
  }

  it('refuses an assertion issued two days ago that claims three days of validity', async () => {
    const { detail } = await rejectsWith(
      validate(new Date(NOW.getTime() - 48 * HOUR_MS), 72 * 3600),
      'CG_TOKEN_EXPIRED',
    );
    assert.equal(detail.reason, 'issued too long ago');
  });

  it('accepts an assertion issued nine hours ago that is still valid', async () => {
    const identity = await validate(new Date(NOW.getTime() - 9 * HOUR_MS), 10 * 3600);
    assert.equal(identity.issuedAt?.getTime(), NOW.getTime() - 9 * HOUR_MS);
  });
});
