import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { thumbprintToX5t } from '../../src/crypto/thumbprint.js';
import type { TrustSnapshot } from '../../src/tokens/trust-snapshot.js';
import { validateJwt } from '../../src/tokens/validate-jwt.js';
import {
  AUDIENCE,
  NOW,
  NOW_SECONDS,
  buildTrust,
  claimsFor,
  contextFor,
  createSigningKey,
  publishedKey,
  rejectsWith,
  signJwt,
  signRaw,
  type SigningKey,
} from '../helpers/jwt.js';

const ISSUER = 'https://issuer-a.example/';
const ENTRA_TEMPLATE = 'https://login.microsoftonline.com/{tenantid}/v2.0';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const entraIssuer = (tenant: string): string => `https://login.microsoftonline.com/${tenant}/v2.0`;

let rsa: SigningKey;
let ec: SigningKey;
let tenantKey: SigningKey;
let trust: TrustSnapshot;

before(async () => {
  [rsa, ec, tenantKey] = await Promise.all([
    createSigningKey('a-rsa'),
    createSigningKey('a-ec', { keyType: 'ec' }),
    createSigningKey('entra-1'),
  ]);
  trust = buildTrust([
    { issuer: ISSUER, keys: [publishedKey(rsa), publishedKey(ec)] },
    {
      issuer: ENTRA_TEMPLATE,
      keys: [publishedKey(tenantKey, ENTRA_TEMPLATE)],
      options: { allowedTenants: [TENANT] },
    },
  ]);
});

describe('validateJwt accepts', () => {
  for (const alg of ['RS256', 'RS384', 'RS512', 'PS256'] as const) {
    it(`a token signed with ${alg} by a trusted RSA key named by kid`, async () => {
      const token = await signJwt(rsa.privateKey, alg, claimsFor(ISSUER), { kid: 'a-rsa' });
      const identity = await validateJwt(token, contextFor(trust));
      assert.equal(identity.kind, 'jwt');
      assert.equal(identity.subject, 'bob@contoso.com');
      assert.equal(identity.signingKey.kid, 'a-rsa');
    });
  }

  it('a token signed with ES256 by a trusted EC P-256 key', async () => {
    const token = await signJwt(ec.privateKey, 'ES256', claimsFor(ISSUER), { kid: 'a-ec' });
    const identity = await validateJwt(token, contextFor(trust));
    assert.equal(identity.signingKey.kid, 'a-ec');
    assert.equal(identity.signingKey.sha1, ec.certificate.sha1);
  });

  it('a token naming its key by x5t only (the SHA-1 thumbprint of the certificate)', async () => {
    const token = await signJwt(rsa.privateKey, 'RS256', claimsFor(ISSUER), {
      x5t: thumbprintToX5t(rsa.certificate.sha1),
    });
    const identity = await validateJwt(token, contextFor(trust));
    assert.equal(identity.signingKey.sha1, rsa.certificate.sha1);
  });

  it('a token naming its key by x5t#S256 only', async () => {
    const token = await signJwt(rsa.privateKey, 'RS256', claimsFor(ISSUER), {
      'x5t#S256': Buffer.from(rsa.certificate.sha256, 'hex').toString('base64url'),
    });
    const identity = await validateJwt(token, contextFor(trust));
    assert.equal(identity.signingKey.sha256, rsa.certificate.sha256);
  });

  it('a token naming no key, by trying the keys of its issuer that fit the algorithm', async () => {
    const rsaToken = await signJwt(rsa.privateKey, 'RS256', claimsFor(ISSUER));
    assert.equal((await validateJwt(rsaToken, contextFor(trust))).signingKey.kid, 'a-rsa');
    const ecToken = await signJwt(ec.privateKey, 'ES256', claimsFor(ISSUER));
    assert.equal((await validateJwt(ecToken, contextFor(trust))).signingKey.kid, 'a-ec');
  });

  it('a token from an allowed tenant under the Entra issuer template, with the template as trusted issuer', async () => {
    const token = await signJwt(
      tenantKey.privateKey,
      'RS256',
      claimsFor(entraIssuer(TENANT), { tid: TENANT }),
      { kid: 'entra-1' },
    );
    const identity = await validateJwt(token, contextFor(trust));
    assert.equal(identity.issuer, entraIssuer(TENANT));
    assert.equal(identity.trustedIssuer, ENTRA_TEMPLATE);
  });

  it('a token whose aud array includes an accepted audience', async () => {
    const token = await signJwt(
      rsa.privateKey,
      'RS256',
      claimsFor(ISSUER, { aud: ['api://other', AUDIENCE] }),
      { kid: 'a-rsa' },
    );
    const identity = await validateJwt(token, contextFor(trust));
    assert.deepEqual(identity.audiences, ['api://other', AUDIENCE]);
  });

  it('a token that expired less than the clock skew ago', async () => {
    const token = await signJwt(rsa.privateKey, 'RS256', claimsFor(ISSUER, { exp: NOW_SECONDS - 299 }), {
      kid: 'a-rsa',
    });
    await validateJwt(token, contextFor(trust, { clockSkewSeconds: 300 }));
  });

  it('a token whose nbf is in the future by less than the clock skew', async () => {
    const token = await signJwt(rsa.privateKey, 'RS256', claimsFor(ISSUER, { nbf: NOW_SECONDS + 299 }), {
      kid: 'a-rsa',
    });
    await validateJwt(token, contextFor(trust, { clockSkewSeconds: 300 }));
  });

  it('a token without nbf and iat, which are optional', async () => {
    const claims = claimsFor(ISSUER);
    delete claims['nbf'];
    delete claims['iat'];
    const token = await signJwt(rsa.privateKey, 'RS256', claims, { kid: 'a-rsa' });
    const identity = await validateJwt(token, contextFor(trust));
    assert.equal(identity.notBefore, undefined);
    assert.equal(identity.issuedAt, undefined);
  });
});

describe('validateJwt builds the identity', () => {
  it('from the signed payload: subject, jti, times, audiences, key and issuers', async () => {
    const token = await signJwt(rsa.privateKey, 'RS256', claimsFor(ISSUER), { kid: 'a-rsa' });
    const identity = await validateJwt(token, contextFor(trust));
    assert.deepEqual(
      { ...identity, claims: undefined },
      {
        kind: 'jwt',
        issuer: ISSUER,
        trustedIssuer: ISSUER,
        subject: 'bob@contoso.com',
        subjectFormat: undefined,
        claims: undefined,
        tokenId: 'token-1',
        issuedAt: new Date((NOW_SECONDS - 60) * 1000),
        notBefore: new Date((NOW_SECONDS - 60) * 1000),
        notOnOrAfter: new Date((NOW_SECONDS + 3600) * 1000),
        audiences: [AUDIENCE],
        signingKey: { sha1: rsa.certificate.sha1, sha256: rsa.certificate.sha256, kid: 'a-rsa' },
        inResponseTo: undefined,
        sessionIndex: undefined,
      },
    );
    assert.ok(Object.isFrozen(identity));
  });

  it('with every claim as a multimap of strings: arrays element-wise, objects as JSON, scalars stringified', async () => {
    const token = await signJwt(
      rsa.privateKey,
      'RS256',
      claimsFor(ISSUER, {
        roles: ['admin', 'reader'],
        groups: [1, true, { id: 'g' }, null],
        address: { country: 'NL' },
        email_verified: true,
        ver: '2.0',
        nothing: null,
      }),
      { kid: 'a-rsa' },
    );
    const { claims } = await validateJwt(token, contextFor(trust));
    assert.deepEqual(claims['roles'], ['admin', 'reader']);
    assert.deepEqual(claims['groups'], ['1', 'true', '{"id":"g"}']);
    assert.deepEqual(claims['address'], ['{"country":"NL"}']);
    assert.deepEqual(claims['email_verified'], ['true']);
    assert.deepEqual(claims['exp'], [String(NOW_SECONDS + 3600)]);
    assert.deepEqual(claims['iss'], [ISSUER]);
    assert.deepEqual(claims['nothing'], []);
  });

  it('keeps a "__proto__" claim as a plain claim without touching the prototype', async () => {
    const payload = JSON.stringify(claimsFor(ISSUER)).replace(/}$/, ',"__proto__":{"isAdmin":true}}');
    const token = signRaw(rsa.privateKey, 'RS256', { alg: 'RS256', kid: 'a-rsa' }, payload);
    const { claims } = await validateJwt(token, contextFor(trust));
    assert.equal(Object.getPrototypeOf(claims), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(claims, '__proto__')?.value, ['{"isAdmin":true}']);
    assert.equal((claims as Record<string, unknown>)['isAdmin'], undefined);
  });
});

describe('validateJwt checks lifetime and audience with the context clock', () => {
  it('rejects a token that expired beyond the clock skew, with the times in the detail', async () => {
    const token = await signJwt(rsa.privateKey, 'RS256', claimsFor(ISSUER, { exp: NOW_SECONDS - 301 }), {
      kid: 'a-rsa',
    });
    const { detail } = await rejectsWith(
      validateJwt(token, contextFor(trust, { clockSkewSeconds: 300 })),
      'CG_TOKEN_EXPIRED',
    );
    assert.deepEqual(detail, {
      notOnOrAfter: new Date((NOW_SECONDS - 301) * 1000).toISOString(),
      now: NOW.toISOString(),
      clockSkewSeconds: 300,
    });
  });

  it('rejects a token at the very instant of exp when no skew is allowed', async () => {
    const token = await signJwt(rsa.privateKey, 'RS256', claimsFor(ISSUER, { exp: NOW_SECONDS }), {
      kid: 'a-rsa',
    });
    await rejectsWith(validateJwt(token, contextFor(trust, { clockSkewSeconds: 0 })), 'CG_TOKEN_EXPIRED');
  });

  it('rejects a token whose nbf is beyond the clock skew in the future', async () => {
    const token = await signJwt(rsa.privateKey, 'RS256', claimsFor(ISSUER, { nbf: NOW_SECONDS + 301 }), {
      kid: 'a-rsa',
    });
    const { detail } = await rejectsWith(
      validateJwt(token, contextFor(trust, { clockSkewSeconds: 300 })),
      'CG_TOKEN_NOT_YET_VALID',
    );
    assert.equal(detail['notBefore'], new Date((NOW_SECONDS + 301) * 1000).toISOString());
  });

  it('rejects a token without exp', async () => {
    const claims = claimsFor(ISSUER);
    delete claims['exp'];
    const token = await signJwt(rsa.privateKey, 'RS256', claims, { kid: 'a-rsa' });
    await rejectsWith(validateJwt(token, contextFor(trust)), 'CG_TOKEN_LIFETIME_MISSING');
  });

  for (const [name, value] of [
    ['a string', '1740830400'],
    ['infinite-looking', 1e300],
    ['an array', [NOW_SECONDS + 60]],
  ] as const) {
    it(`rejects a token whose exp is ${name}`, async () => {
      const token = await signJwt(rsa.privateKey, 'RS256', claimsFor(ISSUER, { exp: value }), {
        kid: 'a-rsa',
      });
      const { detail } = await rejectsWith(validateJwt(token, contextFor(trust)), 'CG_TOKEN_JWT_MALFORMED');
      assert.equal(detail['member'], 'exp');
    });
  }

  it('rejects a token addressed to another audience, naming observed and expected audiences', async () => {
    const token = await signJwt(
      rsa.privateKey,
      'RS256',
      claimsFor(ISSUER, { aud: ['https://graph.microsoft.com', '00000003-0000-0000-c000-000000000000'] }),
      { kid: 'a-rsa' },
    );
    const { detail } = await rejectsWith(validateJwt(token, contextFor(trust)), 'CG_TOKEN_AUDIENCE_MISMATCH');
    assert.deepEqual(detail['observed'], [
      'https://graph.microsoft.com',
      '00000003-0000-0000-c000-000000000000',
    ]);
    assert.deepEqual(detail['expected'], [AUDIENCE]);
  });

  it('rejects a token without aud', async () => {
    const claims = claimsFor(ISSUER);
    delete claims['aud'];
    const token = await signJwt(rsa.privateKey, 'RS256', claims, { kid: 'a-rsa' });
    const { detail } = await rejectsWith(validateJwt(token, contextFor(trust)), 'CG_TOKEN_AUDIENCE_MISMATCH');
    assert.deepEqual(detail['observed'], []);
  });

  it('rejects an aud that is neither a string nor an array of strings', async () => {
    const token = await signJwt(rsa.privateKey, 'RS256', claimsFor(ISSUER, { aud: [AUDIENCE, 7] }), {
      kid: 'a-rsa',
    });
    await rejectsWith(validateJwt(token, contextFor(trust)), 'CG_TOKEN_JWT_MALFORMED');
  });

  it('narrows the accepted audiences to those configured for the issuer, when it has some', async () => {
    const narrowed = buildTrust([
      { issuer: ISSUER, keys: [publishedKey(rsa)], options: { audiences: ['api://only-this'] } },
    ]);
    const token = await signJwt(rsa.privateKey, 'RS256', claimsFor(ISSUER), { kid: 'a-rsa' });
    await rejectsWith(validateJwt(token, contextFor(narrowed)), 'CG_TOKEN_AUDIENCE_MISMATCH');
    const both = contextFor(narrowed, { audiences: [AUDIENCE, 'api://only-this'] });
    const accepted = await signJwt(rsa.privateKey, 'RS256', claimsFor(ISSUER, { aud: 'api://only-this' }), {
      kid: 'a-rsa',
    });
    assert.deepEqual((await validateJwt(accepted, both)).audiences, ['api://only-this']);
  });

  it('rejects a non-string sub or jti instead of coercing it', async () => {
    for (const claim of ['sub', 'jti']) {
      const token = await signJwt(rsa.privateKey, 'RS256', claimsFor(ISSUER, { [claim]: { id: 1 } }), {
        kid: 'a-rsa',
      });
      const { detail } = await rejectsWith(validateJwt(token, contextFor(trust)), 'CG_TOKEN_JWT_MALFORMED');
      assert.equal(detail['member'], claim);
    }
  });
});

describe('validateJwt refuses an unusable context', () => {
  it('throws a TypeError when no audience is configured', async () => {
    const token = await signJwt(rsa.privateKey, 'RS256', claimsFor(ISSUER), { kid: 'a-rsa' });
    await assert.rejects(validateJwt(token, contextFor(trust, { audiences: [] })), TypeError);
  });

  it('throws a TypeError for an invalid clock, a negative skew or no size limit', async () => {
    const token = await signJwt(rsa.privateKey, 'RS256', claimsFor(ISSUER), { kid: 'a-rsa' });
    await assert.rejects(validateJwt(token, contextFor(trust, { now: new Date(Number.NaN) })), TypeError);
    await assert.rejects(validateJwt(token, contextFor(trust, { clockSkewSeconds: -1 })), TypeError);
    await assert.rejects(validateJwt(token, contextFor(trust, { maxTokenBytes: 0 })), TypeError);
  });
});

describe('validateJwt maps keys per issuer', () => {
  const OTHER = 'https://issuer-b.example/';

  it('finds a kid among the keys of the token’s issuer, when another issuer uses the same kid for another key', async () => {
    const [mine, theirs] = await Promise.all([
      createSigningKey('shared-kid'),
      createSigningKey('shared-kid'),
    ]);
    const keyed = buildTrust([
      { issuer: OTHER, keys: [publishedKey(theirs)] },
      { issuer: ISSUER, keys: [publishedKey(mine)] },
    ]);
    const token = await signJwt(mine.privateKey, 'RS256', claimsFor(ISSUER), { kid: 'shared-kid' });
    const identity = await validateJwt(token, contextFor(keyed));
    assert.equal(identity.signingKey.sha1, mine.certificate.sha1);
    const forged = await signJwt(theirs.privateKey, 'RS256', claimsFor(ISSUER), { kid: 'shared-kid' });
    await rejectsWith(validateJwt(forged, contextFor(keyed)), 'CG_TOKEN_SIGNATURE_INVALID');
  });

  it('falls back to x5t when the kid names only another issuer’s key', async () => {
    const [mine, theirs] = await Promise.all([createSigningKey('mine'), createSigningKey('theirs-only')]);
    const keyed = buildTrust([
      { issuer: OTHER, keys: [publishedKey(theirs)] },
      { issuer: ISSUER, keys: [publishedKey(mine)] },
    ]);
    const token = await signJwt(mine.privateKey, 'RS256', claimsFor(ISSUER), {
      kid: 'theirs-only',
      x5t: thumbprintToX5t(mine.certificate.sha1),
    });
    const identity = await validateJwt(token, contextFor(keyed));
    assert.equal(identity.signingKey.sha1, mine.certificate.sha1);
  });

  it('refuses a kid trusted for another issuer only with CG_TRUST_KEY_WRONG_ISSUER naming that issuer', async () => {
    const [mine, theirs] = await Promise.all([createSigningKey('mine'), createSigningKey('theirs-only')]);
    const keyed = buildTrust([
      { issuer: OTHER, keys: [publishedKey(theirs)] },
      { issuer: ISSUER, keys: [publishedKey(mine)] },
    ]);
    const token = await signJwt(theirs.privateKey, 'RS256', claimsFor(ISSUER), { kid: 'theirs-only' });
    const { detail } = await rejectsWith(validateJwt(token, contextFor(keyed)), 'CG_TRUST_KEY_WRONG_ISSUER');
    assert.deepEqual(detail['keyTrustedFor'], [OTHER]);
  });
});
