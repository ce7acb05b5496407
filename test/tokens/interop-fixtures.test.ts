import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readCertificates } from '../../src/crypto/certificate.js';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { createTokenValidator } from '../../src/tokens/create-token-validator.js';
import type { TrustedKey } from '../../src/tokens/trust-snapshot.js';
import { createTrustSnapshot } from '../../src/trust/create-trust-snapshot.js';
import { trustFromThumbprints } from '../../src/trust/in-memory-trust.js';
import { trustedKeyFromCertificate } from '../../src/trust/trusted-key.js';
import { readFixture } from '../helpers/fixtures.js';

interface ManifestEntry {
  id: string;
  file: string;
  issuer: string;
  trustedThumbprintsSha1: string[];
  certFile: string | null;
  audience: string;
  recipient: string | null;
  destination: string | null;
  validateAt: string;
  expected: 'accept' | 'reject';
  expectedIdentity: { nameId?: string; attributes?: Record<string, string | string[]> } | null;
  expectedReason?: string;
}

const manifest = JSON.parse(readFixture('interop/manifest.json').toString('utf8')) as ManifestEntry[];

/** The code each rejected case must get, and why. */
const EXPECTED_REJECTIONS: Record<string, string> = {
  // The embedded certificate's thumbprint is not among the trusted ones.
  'office365.saml20-assertion#untrusted-thumbprints': 'CG_TRUST_KEY_UNKNOWN',
  // The genuine assertion hidden inside the outer Signature: a second Assertion in the document.
  'okta.saml20-response.wrapping-attack': 'CG_TOKEN_STRUCTURE_INVALID',
  // The only signature sits inside an AttributeValue, not as a direct child.
  'fixture-idp.saml20-response.signature-in-attributevalue': 'CG_TOKEN_UNSIGNED',
  // No KeyInfo and only a thumbprint: nothing to check the thumbprint against.
  'rsa-idm.saml20-response#thumbprints-only': 'CG_TRUST_KEY_NO_MATERIAL',
  // The embedded certificate is not trusted; a configured certificate does not vouch for another one.
  'auth0.saml20-response': 'CG_TRUST_KEY_UNKNOWN',
};

function trustFor(entry: ManifestEntry) {
  // The auth0 case configures the placeholder "ANOTHER_THUMB", which is no thumbprint: any set without
  // the embedded certificate's thumbprint reproduces it, so the placeholder is left out.
  const thumbprints = entry.trustedThumbprintsSha1.filter((value) => /^[0-9A-F]{40}$/i.test(value));
  const byThumbprint = trustFromThumbprints(entry.issuer, thumbprints, { allowSha1: true });
  const keys: TrustedKey[] = [...byThumbprint.keys];
  if (entry.certFile !== null) {
    for (const certificate of readCertificates(readFixture(`interop/${entry.certFile}`).toString('utf8'))) {
      keys.push(trustedKeyFromCertificate(entry.issuer, certificate));
    }
  }
  return createTrustSnapshot({ issuers: [byThumbprint.issuer], keys });
}

describe('real tokens from real identity providers (the interop fixtures)', () => {
  for (const entry of manifest) {
    it(`${entry.expected === 'accept' ? 'accepts' : 'rejects'} ${entry.id}${entry.expectedReason === undefined ? '' : ` (${entry.expectedReason})`}`, async () => {
      const validator = createTokenValidator({
        trust: trustFor(entry),
        audiences: [entry.audience],
        ...(entry.recipient === null ? {} : { recipient: entry.recipient }),
        ...(entry.destination === null ? {} : { destination: entry.destination }),
        now: () => new Date(entry.validateAt),
        replayCache: false,
      });
      const token = readFixture(`interop/${entry.file}`);
      if (entry.expected === 'accept') {
        const identity = await validator.validate(token);
        assert.equal(identity.issuer, entry.issuer);
        assert.ok(
          entry.trustedThumbprintsSha1.includes(identity.signingKey.sha1!) || entry.certFile !== null,
        );
        if (entry.expectedIdentity?.nameId !== undefined)
          assert.equal(identity.subject, entry.expectedIdentity.nameId);
        for (const [name, values] of Object.entries(entry.expectedIdentity?.attributes ?? {})) {
          assert.deepEqual(identity.claims[name], Array.isArray(values) ? values : [values], name);
        }
      } else {
        await assert.rejects(validator.validate(token), (error: unknown) => {
          assert.ok(isClaimsgateError(error), String(error));
          assert.equal(error.code, EXPECTED_REJECTIONS[entry.id], `${entry.id}: ${error.message}`);
          return true;
        });
      }
    });
  }

  it('accepts the SiteMinder response in its base64, CRLF-wrapped POST form', async () => {
    const entry = manifest.find((e) => e.file === 'siteminder.saml20-response.xml')!;
    const validator = createTokenValidator({
      trust: trustFor(entry),
      audiences: [entry.audience],
      now: () => new Date(entry.validateAt),
      replayCache: false,
    });
    const identity = await validator.validate(readFixture('interop/siteminder.saml20-response.b64'));
    assert.equal(identity.kind, 'saml20-response');
  });

  it('refuses the RSA-SHA1 tokens when the issuer does not allow SHA-1', async () => {
    const entry = manifest.find((e) => e.id === 'okta.saml20-response')!;
    const strict = trustFromThumbprints(entry.issuer, entry.trustedThumbprintsSha1);
    const validator = createTokenValidator({
      trust: createTrustSnapshot({ issuers: [strict.issuer], keys: strict.keys }),
      audiences: [entry.audience],
      now: () => new Date(entry.validateAt),
    });
    await assert.rejects(validator.validate(readFixture(`interop/${entry.file}`)), (error: unknown) =>
      isClaimsgateError(error, 'CG_SIG_ALGORITHM_FORBIDDEN'),
    );
  });
});
