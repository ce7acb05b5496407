import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { compactVerify, exportJWK } from 'jose';
import { thumbprintToX5t } from '../../src/crypto/thumbprint.js';
import { parseJwks } from '../../src/metadata/parse-oidc-metadata.js';
import type { TrustSnapshot } from '../../src/tokens/trust-snapshot.js';
import { validateJwt } from '../../src/tokens/validate-jwt.js';
import { createTrustSnapshot } from '../../src/trust/create-trust-snapshot.js';
import { trustFromMetadata, trustFromThumbprints } from '../../src/trust/in-memory-trust.js';
import { readFixture } from '../helpers/fixtures.js';
import {
  NOW,
  buildTrust,
  buildUnsigned,
  claimsFor,
  contextFor,
  createSigningKey,
  publishedKey,
  rejectsWith,
  signJwt,
  signRaw,
  type SigningKey,
} from '../helpers/jwt.js';

const ISSUER_A = 'https://issuer-a.example/';
const ISSUER_B = 'https://issuer-b.example/';
const ENTRA_TEMPLATE = 'https://login.microsoftonline.com/{tenantid}/v2.0';
const TENANT_1 = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const TENANT_2 = 'f8cdef31-a31e-4b4a-93e4-5f571e91255a';
const TENANT_3 = '0c1a2b3d-0000-4000-8000-000000000003';
const MSA_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';
const entraIssuer = (tenant: string): string => `https://login.microsoftonline.com/${tenant}/v2.0`;

let victim: SigningKey;
let victimEc: SigningKey;
let issuerBKey: SigningKey;
let tenantKey: SigningKey;
let attacker: SigningKey;
let trust: TrustSnapshot;

before(async () => {
  [victim, victimEc, issuerBKey, tenantKey, attacker] = await Promise.all([
    createSigningKey('a-rsa', { commonName: 'issuer A' }),
    createSigningKey('a-ec', { keyType: 'ec', commonName: 'issuer A EC' }),
    createSigningKey('b-rsa', { commonName: 'issuer B' }),
    createSigningKey('entra-1', { commonName: 'entra' }),
    createSigningKey('a-rsa', { commonName: 'issuer A' }),
  ]);
  trust = buildTrust([
    { issuer: ISSUER_A, keys: [publishedKey(victim), publishedKey(victimEc)] },
    { issuer: ISSUER_B, keys: [publishedKey(issuerBKey)] },
    {
      issuer: ENTRA_TEMPLATE,
      keys: [publishedKey(tenantKey, ENTRA_TEMPLATE)],
      options: { allowedTenants: [TENANT_1, TENANT_2] },
    },
  ]);
});

const validate = (token: string): Promise<unknown> => validateJwt(token, contextFor(trust));

describe('structure: validateJwt refuses what is not a compact JWS', () => {
  it('refuses a 5-segment JWE', async () => {
    const jwe = buildUnsigned({ alg: 'dir', enc: 'A256GCM' }, 'ignored', 'iv.ciphertext.tag');
    const { detail } = await rejectsWith(validate(jwe), 'CG_TOKEN_JWT_MALFORMED');
    assert.equal(detail['observed'], 5);
  });

  it('refuses a token larger than maxTokenBytes before decoding it', async () => {
    const token = await signJwt(victim.privateKey, 'RS256', claimsFor(ISSUER_A, { pad: 'x'.repeat(5000) }), {
      kid: 'a-rsa',
    });
    const { detail } = await rejectsWith(
      validateJwt(token, contextFor(trust, { maxTokenBytes: 4096 })),
      'CG_TOKEN_TOO_LARGE',
    );
    assert.equal(detail['expected'], 4096);
    await rejectsWith(
      validateJwt(`${'A'.repeat(4097)}`, contextFor(trust, { maxTokenBytes: 4096 })),
      'CG_TOKEN_TOO_LARGE',
    );
  });

  const header = Buffer.from('{"alg":"RS256"}').toString('base64url');
  const payload = Buffer.from(JSON.stringify(claimsFor(ISSUER_A))).toString('base64url');
  for (const [name, token] of [
    ['an empty string', ''],
    ['text that is no token', 'not a token'],
    ['two segments', `${header}.${payload}`],
    ['four segments', `${header}.${payload}.sig.extra`],
    ['a header that is not base64url', `%%%.${payload}.sig`],
    ['a header with base64 padding', `${header}=.${payload}.sig`],
    ['a header in standard base64 (+ and /)', `${header}+/.${payload}.sig`],
    ['a header that is not JSON', `${Buffer.from('{alg:RS256').toString('base64url')}.${payload}.sig`],
    ['a header that is a JSON array', `${Buffer.from('["RS256"]').toString('base64url')}.${payload}.sig`],
    ['a header that is JSON null', `${Buffer.from('null').toString('base64url')}.${payload}.sig`],
    [
      'a header that is not UTF-8',
      `${Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64url')}.${payload}.sig`,
    ],
    ['a payload that is a JSON string', `${header}.${Buffer.from('"claims"').toString('base64url')}.sig`],
    ['an empty payload', `${header}..sig`],
    ['a signature that is not base64url', `${header}.${payload}.a+b/c=`],
  ] as const) {
    it(`refuses ${name}`, async () => {
      await rejectsWith(validate(token), 'CG_TOKEN_JWT_MALFORMED');
    });
  }

  it('refuses a non-string token as malformed input', async () => {
    await rejectsWith(
      validateJwt(undefined as unknown as string, contextFor(trust)),
      'CG_TOKEN_JWT_MALFORMED',
    );
  });
});

describe('algorithm: validateJwt accepts only RS256, RS384, RS512, PS256 and ES256', () => {
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    it(`refuses an unsigned token with alg "${alg}", with or without a signature`, async () => {
      const claims = claimsFor(ISSUER_A);
      await rejectsWith(validate(buildUnsigned({ alg, typ: 'JWT' }, claims)), 'CG_TOKEN_ALGORITHM_FORBIDDEN');
      await rejectsWith(
        validate(buildUnsigned({ alg, kid: 'a-rsa' }, claims, 'Z2FyYmFnZQ')),
        'CG_TOKEN_ALGORITHM_FORBIDDEN',
      );
    });
  }

  it('refuses HS256 signed with the RSA public key (PEM and DER) as the HMAC secret', async () => {
    const pem = victim.certificate.publicKey.export({ format: 'pem', type: 'spki' });
    const der = victim.certificate.publicKey.export({ format: 'der', type: 'spki' });
    for (const secret of [pem, der, victim.certificate.der]) {
      const input = `${Buffer.from(JSON.stringify({ alg: 'HS256', kid: 'a-rsa' })).toString('base64url')}.${Buffer.from(
        JSON.stringify(claimsFor(ISSUER_A)),
      ).toString('base64url')}`;
      const token = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
      const { detail } = await rejectsWith(validate(token), 'CG_TOKEN_ALGORITHM_FORBIDDEN');
      assert.equal(detail['observed'], '"HS256"');
    }
  });

  it('relies on jose, too, never to use an RSA public key as an HMAC secret', async () => {
    const input = `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}`;
    const pem = victim.certificate.publicKey.export({ format: 'pem', type: 'spki' });
    const token = `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
    await assert.rejects(
      compactVerify(token, victim.certificate.publicKey, { algorithms: ['HS256'] }),
      TypeError,
    );
  });

  for (const alg of ['HS256', 'HS512', 'RS1', 'ES384', 'ES512', 'PS384', 'EdDSA', 'rs256', 'dir', '']) {
    it(`refuses alg "${alg}"`, async () => {
      await rejectsWith(
        validate(buildUnsigned({ alg, kid: 'a-rsa' }, claimsFor(ISSUER_A), 'c2ln')),
        'CG_TOKEN_ALGORITHM_FORBIDDEN',
      );
    });
  }

  it('refuses a missing alg and a non-string alg', async () => {
    await rejectsWith(
      validate(buildUnsigned({ kid: 'a-rsa' }, claimsFor(ISSUER_A), 'c2ln')),
      'CG_TOKEN_ALGORITHM_FORBIDDEN',
    );
    await rejectsWith(
      validate(buildUnsigned({ alg: ['RS256'], kid: 'a-rsa' }, claimsFor(ISSUER_A), 'c2ln')),
      'CG_TOKEN_ALGORITHM_FORBIDDEN',
    );
  });

  it('reads a duplicated alg as JSON.parse and jose do (last wins), so "RS256" then "none" is refused', async () => {
    const token = buildUnsigned('{"alg":"RS256","kid":"a-rsa","alg":"none"}', claimsFor(ISSUER_A));
    await rejectsWith(validate(token), 'CG_TOKEN_ALGORITHM_FORBIDDEN');
  });

  it('refuses alg RS256 with the kid of a trusted EC key, before verifying', async () => {
    const token = await signJwt(attacker.privateKey, 'RS256', claimsFor(ISSUER_A), { kid: 'a-ec' });
    const { detail } = await rejectsWith(validate(token), 'CG_TOKEN_KEY_TYPE_MISMATCH');
    assert.deepEqual(
      (detail['expected'] as Array<Record<string, unknown>>).map((key) => key['keyType']),
      ['ec'],
    );
  });

  it('refuses alg ES256 with the kid of a trusted RSA key', async () => {
    const token = await signJwt(victimEc.privateKey, 'ES256', claimsFor(ISSUER_A), { kid: 'a-rsa' });
    await rejectsWith(validate(token), 'CG_TOKEN_KEY_TYPE_MISMATCH');
  });

  it('refuses a token signed by a trusted RSA key under 2048 bits', async () => {
    const weak = await createSigningKey('weak', { rsaBits: 1024 });
    const weakTrust = buildTrust([{ issuer: ISSUER_A, keys: [publishedKey(weak)] }]);
    const token = signRaw(weak.privateKey, 'RS256', { alg: 'RS256', kid: 'weak' }, claimsFor(ISSUER_A));
    await rejectsWith(validateJwt(token, contextFor(weakTrust)), 'CG_TOKEN_KEY_TYPE_MISMATCH');
  });
});

describe('headers: validateJwt never takes a key from the token', () => {
  it('refuses a jwk header embedding the attacker key, though the signature is valid for it', async () => {
    const jwk = await exportJWK(attacker.certificate.publicKey);
    const token = await signJwt(attacker.privateKey, 'RS256', claimsFor(ISSUER_A), { kid: 'a-rsa', jwk });
    const { detail } = await rejectsWith(validate(token), 'CG_TOKEN_HEADER_FORBIDDEN');
    assert.equal(detail['member'], 'jwk');
  });

  for (const member of ['jku', 'x5u']) {
    it(`refuses a ${member} header pointing at the attacker's keys, without fetching it`, async () => {
      const token = await signJwt(attacker.privateKey, 'RS256', claimsFor(ISSUER_A), {
        kid: 'a-rsa',
        [member]: 'http://127.0.0.1:9/keys',
      });
      const { detail } = await rejectsWith(validate(token), 'CG_TOKEN_HEADER_FORBIDDEN');
      assert.equal(detail['member'], member);
    });
  }

  it('ignores an x5c header: the attacker certificate with the victim kid fails on the signature', async () => {
    const token = await signJwt(attacker.privateKey, 'RS256', claimsFor(ISSUER_A), {
      kid: 'a-rsa',
      x5c: [attacker.certificate.der.toString('base64')],
    });
    await rejectsWith(validate(token), 'CG_TOKEN_SIGNATURE_INVALID');
  });

  it('ignores an x5c header: the attacker certificate named by its own x5t is an unknown key', async () => {
    const token = await signJwt(attacker.privateKey, 'RS256', claimsFor(ISSUER_A), {
      x5t: thumbprintToX5t(attacker.certificate.sha1),
      x5c: [attacker.certificate.der.toString('base64')],
    });
    const { detail } = await rejectsWith(validate(token), 'CG_TRUST_KEY_UNKNOWN');
    assert.deepEqual(detail['observed'], {
      sha1: attacker.certificate.sha1,
      sha256: undefined,
      kid: undefined,
    });
  });

  it('refuses a crit header, even one listing a known member', async () => {
    for (const header of [
      { alg: 'RS256', kid: 'a-rsa', crit: ['exp'], exp: 1 },
      { alg: 'RS256', kid: 'a-rsa', crit: ['b64'], b64: true },
    ]) {
      const token = signRaw(victim.privateKey, 'RS256', header, claimsFor(ISSUER_A));
      const { detail } = await rejectsWith(validate(token), 'CG_TOKEN_HEADER_FORBIDDEN');
      assert.equal(detail['member'], 'crit');
    }
  });

  it('refuses a b64 header without crit (an unencoded payload must not be read as encoded)', async () => {
    const token = signRaw(
      victim.privateKey,
      'RS256',
      { alg: 'RS256', kid: 'a-rsa', b64: false },
      claimsFor(ISSUER_A),
    );
    await rejectsWith(validate(token), 'CG_TOKEN_HEADER_FORBIDDEN');
  });
});

describe('key selection: the kid is an opaque key into the trusted set', () => {
  for (const kid of [
    '../../etc/passwd',
    "' OR 1=1 --",
    'a-rsa\u0000',
    'a-rsa\u0000../../x',
    '__proto__',
    'constructor',
    '',
  ]) {
    it(`treats kid ${JSON.stringify(kid)} as just an unknown key`, async () => {
      const token = await signJwt(attacker.privateKey, 'RS256', claimsFor(ISSUER_A), { kid });
      await rejectsWith(validate(token), 'CG_TRUST_KEY_UNKNOWN');
    });
  }

  it('refuses a non-string kid instead of coercing it', async () => {
    for (const kid of [['a-rsa'], 42, { toString: 'a-rsa' }, null]) {
      const token = signRaw(attacker.privateKey, 'RS256', { alg: 'RS256', kid }, claimsFor(ISSUER_A));
      const { detail } = await rejectsWith(validate(token), 'CG_TOKEN_JWT_MALFORMED');
      assert.equal(detail['member'], 'kid');
    }
  });

  it('refuses an x5t that is not a SHA-1 thumbprint', async () => {
    const token = await signJwt(victim.privateKey, 'RS256', claimsFor(ISSUER_A), { x5t: 'c2hvcnQ' });
    await rejectsWith(validate(token), 'CG_TOKEN_JWT_MALFORMED');
  });

  it('reports an unknown kid with the keys trusted for the issuer', async () => {
    const token = await signJwt(attacker.privateKey, 'RS256', claimsFor(ISSUER_A), {
      kid: 'rolled-over-key',
    });
    const { detail } = await rejectsWith(validate(token), 'CG_TRUST_KEY_UNKNOWN');
    assert.equal(detail['issuer'], ISSUER_A);
    assert.deepEqual((detail['observed'] as Record<string, unknown>)['kid'], 'rolled-over-key');
    assert.deepEqual((detail['expected'] as Array<Record<string, unknown>>).map((key) => key['kid']).sort(), [
      'a-ec',
      'a-rsa',
    ]);
  });

  it("refuses a token signed by issuer A's key that claims issuer B (both trusted)", async () => {
    const token = await signJwt(victim.privateKey, 'RS256', claimsFor(ISSUER_B), { kid: 'a-rsa' });
    const { detail } = await rejectsWith(validate(token), 'CG_TRUST_KEY_WRONG_ISSUER');
    assert.deepEqual(detail['keyTrustedFor'], [ISSUER_A]);
    const byThumbprint = await signJwt(victim.privateKey, 'RS256', claimsFor(ISSUER_B), {
      x5t: thumbprintToX5t(victim.certificate.sha1),
    });
    await rejectsWith(validate(byThumbprint), 'CG_TRUST_KEY_WRONG_ISSUER');
  });

  it("does not try issuer A's keys for an issuer-B token that names no key", async () => {
    const token = await signJwt(victim.privateKey, 'RS256', claimsFor(ISSUER_B));
    const { detail } = await rejectsWith(validate(token), 'CG_TOKEN_SIGNATURE_INVALID');
    assert.deepEqual(detail['expected'], [
      { kid: 'b-rsa', sha1: issuerBKey.certificate.sha1, sha256: issuerBKey.certificate.sha256 },
    ]);
  });

  it('refuses a token whose issuer is trusted by thumbprint only (a JWT carries no trusted key material)', async () => {
    const pinned = trustFromThumbprints('https://pinned.example/', [victim.certificate.sha1]);
    const pinnedTrust = createTrustSnapshot({ issuers: [pinned.issuer], keys: pinned.keys, builtAt: NOW });
    const token = await signJwt(victim.privateKey, 'RS256', claimsFor('https://pinned.example/'), {
      x5t: thumbprintToX5t(victim.certificate.sha1),
      x5c: [victim.certificate.der.toString('base64')],
    });
    await rejectsWith(validateJwt(token, contextFor(pinnedTrust)), 'CG_TRUST_KEY_NO_MATERIAL');
  });
});

describe('signature: validateJwt verifies with the trusted key only', () => {
  it('refuses a tampered payload', async () => {
    const token = await signJwt(victim.privateKey, 'RS256', claimsFor(ISSUER_A), { kid: 'a-rsa' });
    const [header, , signature] = token.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify(claimsFor(ISSUER_A, { sub: 'admin@contoso.com' }))).toString(
      'base64url',
    );
    await rejectsWith(validate(`${header}.${forged}.${signature}`), 'CG_TOKEN_SIGNATURE_INVALID');
  });

  it('refuses a tampered header (another kid of the same issuer)', async () => {
    const token = await signJwt(victim.privateKey, 'RS256', claimsFor(ISSUER_A), { kid: 'a-rsa' });
    const [, payload, signature] = token.split('.') as [string, string, string];
    const header = Buffer.from(JSON.stringify({ alg: 'RS384', kid: 'a-rsa' })).toString('base64url');
    await rejectsWith(validate(`${header}.${payload}.${signature}`), 'CG_TOKEN_SIGNATURE_INVALID');
  });

  it('refuses an empty signature and an ECDSA signature of r = s = 0 ("psychic signature")', async () => {
    const claims = claimsFor(ISSUER_A);
    await rejectsWith(
      validate(buildUnsigned({ alg: 'RS256', kid: 'a-rsa' }, claims)),
      'CG_TOKEN_SIGNATURE_INVALID',
    );
    const zero = Buffer.alloc(64).toString('base64url');
    await rejectsWith(
      validate(buildUnsigned({ alg: 'ES256', kid: 'a-ec' }, claims, zero)),
      'CG_TOKEN_SIGNATURE_INVALID',
    );
  });

  it('refuses a token signed by the attacker with the trusted kid', async () => {
    const token = await signJwt(attacker.privateKey, 'RS256', claimsFor(ISSUER_A), { kid: 'a-rsa' });
    await rejectsWith(validate(token), 'CG_TOKEN_SIGNATURE_INVALID');
  });

  it('checks the signature before the claims: a forged expired token fails on the signature', async () => {
    const token = await signJwt(attacker.privateKey, 'RS256', claimsFor(ISSUER_A, { exp: 1 }), {
      kid: 'a-rsa',
    });
    await rejectsWith(validate(token), 'CG_TOKEN_SIGNATURE_INVALID');
  });
});

describe('issuer and tenant: validateJwt trusts a template only for allowed tenants', () => {
  const signForTenant = (claims: Record<string, unknown>): Promise<string> =>
    signJwt(tenantKey.privateKey, 'RS256', claims, { kid: 'entra-1' });

  it('refuses an issuer that is not trusted', async () => {
    const token = await signJwt(victim.privateKey, 'RS256', claimsFor('https://evil.example/'), {
      kid: 'a-rsa',
    });
    const { detail } = await rejectsWith(validate(token), 'CG_TRUST_ISSUER_UNKNOWN');
    assert.ok((detail['expected'] as string[]).includes(ISSUER_A));
  });

  it('refuses a token without iss, or with a non-string iss', async () => {
    const claims = claimsFor(ISSUER_A);
    delete claims['iss'];
    await rejectsWith(
      validate(await signJwt(victim.privateKey, 'RS256', claims, { kid: 'a-rsa' })),
      'CG_TOKEN_JWT_MALFORMED',
    );
    await rejectsWith(
      validate(
        await signJwt(victim.privateKey, 'RS256', claimsFor(ISSUER_A, { iss: [ISSUER_A] }), { kid: 'a-rsa' }),
      ),
      'CG_TOKEN_JWT_MALFORMED',
    );
  });

  it('refuses a tenant that is not allowed, though its iss and tid agree and a global key signed it', async () => {
    const token = await signForTenant(claimsFor(entraIssuer(TENANT_3), { tid: TENANT_3 }));
    await rejectsWith(validate(token), 'CG_TRUST_ISSUER_UNKNOWN');
  });

  it('refuses an allowed tid under an iss naming another allowed tenant', async () => {
    const token = await signForTenant(claimsFor(entraIssuer(TENANT_2), { tid: TENANT_1 }));
    await rejectsWith(validate(token), 'CG_TOKEN_TENANT_MISMATCH');
  });

  it('refuses an allowed tid under an iss naming a tenant that is not allowed', async () => {
    const token = await signForTenant(claimsFor(entraIssuer(TENANT_3), { tid: TENANT_1 }));
    await rejectsWith(validate(token), 'CG_TRUST_ISSUER_UNKNOWN');
  });

  it('refuses a token from a template issuer without tid', async () => {
    const token = await signForTenant(claimsFor(entraIssuer(TENANT_1)));
    const { detail } = await rejectsWith(validate(token), 'CG_TOKEN_TENANT_MISMATCH');
    assert.equal(detail['trustedIssuer'], ENTRA_TEMPLATE);
  });

  it('refuses a non-string tid', async () => {
    const token = await signForTenant(claimsFor(entraIssuer(TENANT_1), { tid: [TENANT_1] }));
    await rejectsWith(validate(token), 'CG_TOKEN_JWT_MALFORMED');
  });

  it('refuses the template itself as iss', async () => {
    const token = await signForTenant(claimsFor(ENTRA_TEMPLATE, { tid: TENANT_1 }));
    await rejectsWith(validate(token), 'CG_TRUST_ISSUER_UNKNOWN');
  });

  it("refuses a key published for one tenant signing another allowed tenant's token", async () => {
    const tenant2Key = await createSigningKey('tenant-2-only');
    const keyed = buildTrust([
      {
        issuer: ENTRA_TEMPLATE,
        keys: [publishedKey(tenant2Key, entraIssuer(TENANT_2))],
        options: { allowedTenants: [TENANT_1, TENANT_2] },
      },
    ]);
    const own = await signJwt(
      tenant2Key.privateKey,
      'RS256',
      claimsFor(entraIssuer(TENANT_2), { tid: TENANT_2 }),
      {
        kid: 'tenant-2-only',
      },
    );
    assert.equal((await validateJwt(own, contextFor(keyed))).issuer, entraIssuer(TENANT_2));
    const other = await signJwt(
      tenant2Key.privateKey,
      'RS256',
      claimsFor(entraIssuer(TENANT_1), { tid: TENANT_1 }),
      {
        kid: 'tenant-2-only',
      },
    );
    const { detail } = await rejectsWith(validateJwt(other, contextFor(keyed)), 'CG_TRUST_KEY_WRONG_ISSUER');
    assert.deepEqual(detail['keyTrustedFor'], [entraIssuer(TENANT_2)]);
  });
});

describe('the real Entra ID common JWKS (7 keys, each with its own issuer)', () => {
  let entra: TrustSnapshot;
  const TEMPLATE_KID = 'Mc7l3Iz93g7uwgNeEmmw_WYGPko';
  const MSA_KID = '8IIDH6M8c3cXoeojKme8Jvqsr2Y';

  before(() => {
    const metadata = parseJwks(JSON.parse(readFixture('metadata/entra-common.jwks.json').toString('utf8')));
    const built = trustFromMetadata(metadata, {
      issuer: ENTRA_TEMPLATE,
      allowedTenants: [TENANT_1, MSA_TENANT],
    });
    entra = createTrustSnapshot({ issuers: [built.issuer], keys: built.keys, builtAt: NOW });
  });

  it('is trusted with 7 keys, each keeping the issuer its JWK names', () => {
    const keys = entra.keysForIssuer(ENTRA_TEMPLATE);
    assert.equal(keys.length, 7);
    assert.equal(keys.filter((key) => key.keyIssuer === ENTRA_TEMPLATE).length, 5);
    assert.equal(keys.filter((key) => key.keyIssuer === entraIssuer(MSA_TENANT)).length, 2);
  });

  it('refuses a token with a published kid but signed by another key, on the signature', async () => {
    const token = await signJwt(
      attacker.privateKey,
      'RS256',
      claimsFor(entraIssuer(TENANT_1), { tid: TENANT_1 }),
      {
        kid: TEMPLATE_KID,
        x5t: TEMPLATE_KID,
      },
    );
    const { detail } = await rejectsWith(validateJwt(token, contextFor(entra)), 'CG_TOKEN_SIGNATURE_INVALID');
    assert.deepEqual(
      (detail['expected'] as Array<Record<string, unknown>>).map((key) => key['kid']),
      [TEMPLATE_KID],
    );
  });

  it('refuses a work-tenant token naming a key published for the MSA consumer tenant, before verifying', async () => {
    const token = await signJwt(
      attacker.privateKey,
      'RS256',
      claimsFor(entraIssuer(TENANT_1), { tid: TENANT_1 }),
      {
        kid: MSA_KID,
      },
    );
    const { detail } = await rejectsWith(validateJwt(token, contextFor(entra)), 'CG_TRUST_KEY_WRONG_ISSUER');
    assert.deepEqual(detail['keyTrustedFor'], [entraIssuer(MSA_TENANT)]);
  });

  it('lets an MSA-tenant token reach the signature check with an MSA key', async () => {
    const token = await signJwt(
      attacker.privateKey,
      'RS256',
      claimsFor(entraIssuer(MSA_TENANT), { tid: MSA_TENANT }),
      {
        kid: MSA_KID,
      },
    );
    await rejectsWith(validateJwt(token, contextFor(entra)), 'CG_TOKEN_SIGNATURE_INVALID');
  });

  it('tries only the keys published for the tenant when the token names no key', async () => {
    const token = await signJwt(
      attacker.privateKey,
      'RS256',
      claimsFor(entraIssuer(TENANT_1), { tid: TENANT_1 }),
    );
    const { detail } = await rejectsWith(validateJwt(token, contextFor(entra)), 'CG_TOKEN_SIGNATURE_INVALID');
    assert.equal((detail['expected'] as unknown[]).length, 5);
  });
});
