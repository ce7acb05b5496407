/**
 * Tokens signed by standard XML-DSig implementations — libxml2's exclusive
 * c14n (as libxmlsec signs) and the JDK's (Apache Santuario, as Java
 * identity providers sign) — in the shapes where an implementation that
 * copies xml-crypto's quirks, or reads XML 1.0 with XML 1.1's line ends,
 * refuses a valid token. Each validates through the real validator with the
 * signer's certificate trusted, and fails with CG_SIG_DIGEST_MISMATCH after a
 * one-character change inside the signed content. The fixtures, their
 * generator and the rule for what is expected: test/fixtures/standard-xmldsig/.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseCertificatesPem } from '../../src/crypto/certificate.js';
import { ClaimsgateError } from '../../src/lib/errors.js';
import { createTokenValidator } from '../../src/tokens/create-token-validator.js';
import type { VerifiedIdentity } from '../../src/tokens/identity.js';
import { createTrustSnapshot } from '../../src/trust/create-trust-snapshot.js';
import { trustedKeyFromCertificate } from '../../src/trust/trusted-key.js';
import { fixturePath } from '../helpers/fixtures.js';

interface ManifestToken {
  readonly file: string;
  readonly case: string;
  readonly signer: 'libxml2' | 'jdk';
  readonly description: string;
  readonly expected: 'accept' | 'reject';
  readonly expectedCode?: string;
  readonly reason?: string;
  readonly expectedIdentity?: {
    readonly subject: string;
    readonly tokenId: string;
    readonly claims: Readonly<Record<string, readonly string[]>>;
  };
  readonly tamper: { readonly from: string; readonly to: string };
}

interface Manifest {
  readonly now: string;
  readonly issuer: string;
  readonly audience: string;
  readonly recipient: string;
  readonly certificate: string;
  readonly tokens: readonly ManifestToken[];
}

const dir = fixturePath('standard-xmldsig');
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;

function validator(): ReturnType<typeof createTokenValidator> {
  const [certificate] = parseCertificatesPem(readFileSync(join(dir, manifest.certificate), 'utf8'));
  assert.ok(certificate !== undefined);
  const now = new Date(manifest.now);
  const trust = createTrustSnapshot({
    issuers: [
      {
        issuer: manifest.issuer,
        allowedTenants: [],
        audiences: [],
        allowSha1: false,
        lastRefresh: undefined,
      },
    ],
    keys: [trustedKeyFromCertificate(manifest.issuer, certificate)],
    builtAt: now,
  });
  return createTokenValidator({
    trust,
    audiences: manifest.audience,
    recipient: manifest.recipient,
    destination: manifest.recipient,
    now: () => now,
    replayCache: false,
  });
}

async function outcome(token: string): Promise<VerifiedIdentity | ClaimsgateError> {
  try {
    return await validator().validate(token);
  } catch (error) {
    assert.ok(error instanceof ClaimsgateError, `a coded error, got ${String(error)}`);
    return error;
  }
}

function read(file: string): string {
  return readFileSync(join(dir, 'tokens', file), 'utf8');
}

describe('tokens signed by standard XML-DSig implementations', () => {
  it('has a token per signer for every shape, and a file for every token', () => {
    const files = readdirSync(join(dir, 'tokens')).sort();
    assert.deepEqual(files, manifest.tokens.map((token) => token.file).sort());
    for (const signer of ['libxml2', 'jdk'] as const) {
      const accepted = manifest.tokens.filter((t) => t.signer === signer && t.expected === 'accept');
      assert.ok(accepted.length >= 17, `${accepted.length} accepted tokens signed by ${signer}`);
    }
    for (const token of manifest.tokens.filter((t) => t.expected === 'reject'))
      assert.ok((token.reason ?? '').length > 0, `${token.file} says why it is refused`);
  });

  for (const token of manifest.tokens) {
    if (token.expected === 'accept') {
      it(`accepts ${token.file} and reads the identity as signed`, async () => {
        const result = await outcome(read(token.file));
        assert.ok(!(result instanceof ClaimsgateError), `refused with ${(result as ClaimsgateError).code}`);
        const expected = token.expectedIdentity!;
        assert.equal(result.issuer, manifest.issuer);
        assert.equal(result.subject, expected.subject);
        assert.equal(result.tokenId, expected.tokenId);
        for (const [claim, values] of Object.entries(expected.claims))
          assert.deepEqual(result.claims[claim], values, claim);
      });
    } else {
      it(`refuses ${token.file} with ${token.expectedCode}`, async () => {
        const result = await outcome(read(token.file));
        assert.ok(result instanceof ClaimsgateError, 'refused');
        assert.equal(result.code, token.expectedCode);
      });
    }

    it(`refuses ${token.file} with one character changed inside the signed content (CG_SIG_DIGEST_MISMATCH)`, async () => {
      const original = read(token.file);
      const at = original.indexOf(token.tamper.from);
      assert.ok(at !== -1);
      const tampered =
        original.slice(0, at) + token.tamper.to + original.slice(at + token.tamper.from.length);
      assert.equal(tampered.length, original.length);
      assert.equal(
        [...tampered].filter((char, i) => char !== [...original][i]).length,
        1,
        'exactly one character differs',
      );
      const result = await outcome(tampered);
      assert.ok(result instanceof ClaimsgateError, 'refused');
      assert.equal(
        result.code,
        token.expectedCode === 'CG_SIG_STRUCTURE_INVALID'
          ? 'CG_SIG_STRUCTURE_INVALID'
          : 'CG_SIG_DIGEST_MISMATCH',
      );
    });
  }
});
