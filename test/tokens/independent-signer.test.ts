import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { parseCertificateDer } from '../../src/crypto/certificate.js';
import { computeThumbprint } from '../../src/crypto/thumbprint.js';
import type { ErrorCode } from '../../src/lib/error-codes.js';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { createTokenValidator } from '../../src/tokens/create-token-validator.js';
import type { TokenKind, VerifiedIdentity } from '../../src/tokens/identity.js';
import type { TrustSnapshot, TrustedKey } from '../../src/tokens/trust-snapshot.js';
import { createTrustSnapshot } from '../../src/trust/create-trust-snapshot.js';
import { trustFromThumbprints } from '../../src/trust/in-memory-trust.js';
import { createTestCertificate, type TestCertificate } from '../helpers/certificates.js';
import {
  mintAssertion,
  wrapInRstr,
  wrapInRstrCollection,
  wrapInSamlResponse,
  wsFedFormBody,
  type SamlVersion,
} from '../helpers/independent-signer.js';

const ISSUED_AT = new Date('2025-06-01T10:00:00.000Z');
const LIFETIME_SECONDS = 600;
const NOT_ON_OR_AFTER = new Date(ISSUED_AT.getTime() + LIFETIME_SECONDS * 1000);
/** Two minutes after issue: inside the lifetime. */
const NOW = new Date('2025-06-01T10:02:00.000Z');
const ISSUER = 'http://sts.independent.example/adfs/services/trust';
const AUDIENCE = 'urn:claimsgate:independent-rp';
const RECIPIENT = 'https://rp.independent.example/auth/saml2/acs';
const SUBJECT = 'alice@contoso.example';
const SUBJECT_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const SESSION_INDEX = '_session-7f3c';

const CLAIMS = {
  EMAIL: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  GIVEN_NAME: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
  SURNAME: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
  UPN: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  ROLE: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
} as const;

/** Five attributes: one multi-valued, one with markup characters and non-ASCII text. */
const ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  [CLAIMS.EMAIL]: [SUBJECT],
  [CLAIMS.GIVEN_NAME]: ['Zoë'],
  [CLAIMS.SURNAME]: ["O'Brien & <Søn>"],
  [CLAIMS.UPN]: ['alice@corp.contoso.example'],
  [CLAIMS.ROLE]: ['Readers', 'Expense Approvers'],
};

interface Minted {
  readonly version: SamlVersion;
  readonly id: string;
  readonly xml: string;
}

function mint(
  version: SamlVersion,
  signer: TestCertificate,
  algorithm: 'sha256' | 'sha1' = 'sha256',
): Minted {
  const id = `_independent-${version.replace('.', '')}-${algorithm}`;
  const xml = mintAssertion({
    version,
    certificatePem: signer.pem,
    privateKeyPem: signer.privateKeyPem,
    issuedAt: ISSUED_AT,
    lifetimeSeconds: LIFETIME_SECONDS,
    id,
    issuer: ISSUER,
    audience: AUDIENCE,
    ...(version === '2.0' ? { recipient: RECIPIENT, sessionIndex: SESSION_INDEX } : {}),
    attributes: ATTRIBUTES,
    nameIdentifier: SUBJECT,
    nameIdentifierFormat: SUBJECT_FORMAT,
    algorithm,
  });
  return { version, id, xml };
}

function thumbprintTrust(
  certificate: TestCertificate,
  issuer = ISSUER,
  options: { allowSha1?: boolean } = {},
): TrustSnapshot {
  const trusted = trustFromThumbprints(issuer, [computeThumbprint(certificate.der, 'sha1')], options);
  return createTrustSnapshot({ issuers: [trusted.issuer], keys: trusted.keys });
}

/** Trust that holds the certificate itself, as an administrator who pasted it would configure. */
function certificateTrust(certificate: TestCertificate, issuer = ISSUER): TrustSnapshot {
  const trusted = trustFromThumbprints(issuer, []);
  const info = parseCertificateDer(certificate.der);
  const key: TrustedKey = {
    issuer,
    sha1: info.sha1,
    sha256: info.sha256,
    kid: undefined,
    publicKey: info.publicKey,
    certificate: info,
    source: 'manual',
    state: 'active',
  };
  return createTrustSnapshot({ issuers: [trusted.issuer], keys: [key] });
}

function validatorFor(trust: TrustSnapshot, audience = AUDIENCE, now = NOW) {
  return createTokenValidator({
    trust,
    audiences: [audience],
    recipient: RECIPIENT,
    now: () => now,
    replayCache: false,
  });
}

/** One way the minted assertion reaches the relying party. */
interface Form {
  readonly name: string;
  readonly kind: TokenKind;
  readonly wrap: (assertion: string) => string;
}

const WRAP_TIMES = { appliesTo: AUDIENCE, created: ISSUED_AT, expires: NOT_ON_OR_AFTER };

function formsFor(version: SamlVersion): Form[] {
  const wsfed: TokenKind = version === '2.0' ? 'wsfed-saml20' : 'wsfed-saml11';
  const rstr13 = (a: string) => wrapInRstr(a, 'ws-trust-1.3', { version, ...WRAP_TIMES });
  const forms: Form[] = [
    {
      name: 'the bare assertion',
      kind: version === '2.0' ? 'saml20-assertion' : 'saml11-assertion',
      wrap: (a) => a,
    },
    { name: 'a WS-Trust 1.3 RequestSecurityTokenResponse (wresult)', kind: wsfed, wrap: rstr13 },
    {
      name: 'a WS-Trust 2005/02 RequestSecurityTokenResponse (wresult)',
      kind: wsfed,
      wrap: (a) => wrapInRstr(a, 'ws-trust-2005', { version, ...WRAP_TIMES }),
    },
    {
      name: 'a WS-Trust 1.3 RequestSecurityTokenResponseCollection',
      kind: wsfed,
      wrap: (a) => wrapInRstrCollection(rstr13(a)),
    },
    {
      name: 'a whole wsignin1.0 form body',
      kind: wsfed,
      wrap: (a) => wsFedFormBody(rstr13(a), 'rm=0&id=passive&ru=%2Fapp%2Freports%3Fq%3D1'),
    },
  ];
  if (version === '2.0') {
    const response = (a: string) =>
      wrapInSamlResponse(a, {
        id: '_response-independent',
        issuer: ISSUER,
        issuedAt: ISSUED_AT,
        destination: RECIPIENT,
      });
    forms.push(
      { name: 'an unsigned samlp:Response with status Success', kind: 'saml20-response', wrap: response },
      {
        name: 'the samlp:Response base64-encoded as the POST binding sends it',
        kind: 'saml20-response',
        wrap: (a) => Buffer.from(response(a), 'utf8').toString('base64'),
      },
      {
        name: 'a SAMLResponse form body',
        kind: 'saml20-response',
        wrap: (a) =>
          new URLSearchParams({
            SAMLResponse: Buffer.from(response(a), 'utf8').toString('base64'),
            RelayState: '/app',
          }).toString(),
      },
    );
  }
  return forms;
}

function assertIdentity(
  identity: VerifiedIdentity,
  minted: Minted,
  kind: TokenKind,
  signer: TestCertificate,
) {
  assert.equal(identity.kind, kind);
  assert.equal(identity.issuer, ISSUER);
  assert.equal(identity.trustedIssuer, ISSUER);
  assert.equal(identity.subject, SUBJECT);
  assert.equal(identity.subjectFormat, SUBJECT_FORMAT);
  assert.deepEqual({ ...identity.claims }, ATTRIBUTES);
  assert.equal(identity.tokenId, minted.id);
  assert.deepEqual(identity.issuedAt, ISSUED_AT);
  assert.deepEqual(identity.notBefore, ISSUED_AT);
  assert.deepEqual(identity.notOnOrAfter, NOT_ON_OR_AFTER);
  assert.deepEqual(identity.audiences, [AUDIENCE]);
  assert.equal(identity.signingKey.sha1, computeThumbprint(signer.der, 'sha1'));
  assert.equal(identity.sessionIndex, minted.version === '2.0' ? SESSION_INDEX : undefined);
}

async function assertRejected(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isClaimsgateError(error), String(error));
    assert.equal(error.code, code, error.message);
    return true;
  });
}

/** Changes the text of one attribute value inside the signed assertion, leaving everything else as minted. */
function tamperGivenName(assertion: string): string {
  const tampered = assertion.replace('>Zoë</saml:AttributeValue>', '>Mallory</saml:AttributeValue>');
  assert.notEqual(tampered, assertion, 'the given name value was found in the minted XML');
  return tampered;
}

let signer: TestCertificate;
let stranger: TestCertificate;
const minted = new Map<string, Minted>();

before(async () => {
  [signer, stranger] = await Promise.all([
    createTestCertificate({ commonName: 'independent signer' }),
    createTestCertificate({ commonName: 'someone else' }),
  ]);
  for (const version of ['2.0', '1.1'] as const) {
    minted.set(version, mint(version, signer));
    minted.set(`${version}/sha1`, mint(version, signer, 'sha1'));
  }
});

function token(key: string): Minted {
  const found = minted.get(key);
  assert.ok(found !== undefined, key);
  return found;
}

for (const version of ['2.0', '1.1'] as const) {
  describe(`SAML ${version} assertions minted by the saml package`, () => {
    it('are minted at the frozen instant, RSA-SHA256 signed with SHA-256 digests', () => {
      const { xml } = token(version);
      assert.ok(xml.includes(`IssueInstant="${ISSUED_AT.toISOString()}"`));
      assert.ok(xml.includes('Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"'));
      assert.ok(xml.includes('Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"'));
    });

    for (const form of formsFor(version)) {
      it(`are accepted as ${form.name}, trusted by SHA-1 thumbprint`, async () => {
        const minted = token(version);
        const identity = await validatorFor(thumbprintTrust(signer)).validate(form.wrap(minted.xml));
        assertIdentity(identity, minted, form.kind, signer);
      });

      it(`are accepted as ${form.name}, trusted by the certificate`, async () => {
        const minted = token(version);
        const identity = await validatorFor(certificateTrust(signer)).validate(form.wrap(minted.xml));
        assertIdentity(identity, minted, form.kind, signer);
        assert.equal(identity.signingKey.sha256, computeThumbprint(signer.der, 'sha256'));
      });

      it(`are rejected as ${form.name} when one attribute value was changed`, async () => {
        const tampered = form.wrap(tamperGivenName(token(version).xml));
        await assertRejected(
          validatorFor(thumbprintTrust(signer)).validate(tampered),
          'CG_SIG_DIGEST_MISMATCH',
        );
      });
    }

    it('are rejected when only another issuer URI is trusted with the signing certificate', async () => {
      const trust = thumbprintTrust(signer, 'http://sts.other.example/adfs/services/trust');
      await assertRejected(validatorFor(trust).validate(token(version).xml), 'CG_TRUST_ISSUER_UNKNOWN');
    });

    it('are rejected when the issuer is trusted with another certificate (by thumbprint)', async () => {
      await assertRejected(
        validatorFor(thumbprintTrust(stranger)).validate(token(version).xml),
        'CG_TRUST_KEY_UNKNOWN',
      );
    });

    it('are rejected when the issuer is trusted with another certificate (held in trust)', async () => {
      await assertRejected(
        validatorFor(certificateTrust(stranger)).validate(token(version).xml),
        'CG_TRUST_KEY_UNKNOWN',
      );
    });

    it('are rejected by a relying party with another audience', async () => {
      const validator = validatorFor(thumbprintTrust(signer), 'urn:claimsgate:another-rp');
      await assertRejected(validator.validate(token(version).xml), 'CG_TOKEN_AUDIENCE_MISMATCH');
    });

    it('are rejected once their lifetime and the clock skew have passed', async () => {
      const late = new Date(NOT_ON_OR_AFTER.getTime() + 301_000);
      const validator = validatorFor(thumbprintTrust(signer), AUDIENCE, late);
      await assertRejected(validator.validate(token(version).xml), 'CG_TOKEN_EXPIRED');
    });

    it('are rejected when signed with RSA-SHA1 and the issuer does not allow SHA-1', async () => {
      const sha1 = token(`${version}/sha1`);
      assert.ok(sha1.xml.includes('Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"'));
      await assertRejected(
        validatorFor(thumbprintTrust(signer)).validate(sha1.xml),
        'CG_SIG_ALGORITHM_FORBIDDEN',
      );
    });

    it('are accepted when signed with RSA-SHA1 and the issuer allows SHA-1', async () => {
      const sha1 = token(`${version}/sha1`);
      const trust = thumbprintTrust(signer, ISSUER, { allowSha1: true });
      const identity = await validatorFor(trust).validate(
        wrapInRstr(sha1.xml, 'ws-trust-1.3', { version, ...WRAP_TIMES }),
      );
      assertIdentity(identity, sha1, version === '2.0' ? 'wsfed-saml20' : 'wsfed-saml11', signer);
    });
  });
}

describe('SAML 2.0 bearer confirmation of a token minted by the saml package', () => {
  it('is rejected when the relying party expects another recipient', async () => {
    const validator = createTokenValidator({
      trust: thumbprintTrust(signer),
      audiences: [AUDIENCE],
      recipient: 'https://elsewhere.example/acs',
      now: () => NOW,
      replayCache: false,
    });
    await assertRejected(validator.validate(token('2.0').xml), 'CG_TOKEN_RECIPIENT_MISMATCH');
  });
});
