import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { generateAdversarialCorpus, type CorpusCase } from '../../scripts/generate-adversarial-corpus.js';
import { parseCertificatesPem } from '../../src/crypto/certificate.js';
import { ClaimsgateError } from '../../src/lib/errors.js';
import { createTokenValidator } from '../../src/tokens/create-token-validator.js';
import type { VerifiedIdentity } from '../../src/tokens/identity.js';
import type { TrustedIssuer, TrustedKey, TrustSnapshot } from '../../src/tokens/trust-snapshot.js';
import { createTrustSnapshot } from '../../src/trust/create-trust-snapshot.js';
import { trustedKeyFromCertificate } from '../../src/trust/trusted-key.js';
import { repoRoot } from '../helpers/fixtures.js';

const corpusDir = join(repoRoot, 'test', 'fixtures', 'adversarial');
const keysDir = join(corpusDir, 'keys');

interface Manifest {
  readonly now: string;
  readonly cases: readonly CorpusCase[];
}

const manifest = JSON.parse(readFileSync(join(corpusDir, 'manifest.json'), 'utf8')) as Manifest;

function trustFor(entry: CorpusCase): TrustSnapshot {
  const issuers: TrustedIssuer[] = [];
  const keys: TrustedKey[] = [];
  for (const spec of entry.trust) {
    issuers.push({
      issuer: spec.issuer,
      allowedTenants: [],
      audiences: [],
      allowSha1: spec.allowSha1,
      requireSignedAssertion: spec.requireSignedAssertion === true,
      lastRefresh: undefined,
    });
    for (const name of spec.keys) {
      const [certificate] = parseCertificatesPem(readFileSync(join(keysDir, `${name}.cert.pem`), 'utf8'));
      assert.ok(certificate !== undefined, `keys/${name}.cert.pem holds a certificate`);
      keys.push(trustedKeyFromCertificate(spec.issuer, certificate));
    }
  }
  return createTrustSnapshot({ issuers, keys, builtAt: new Date(manifest.now) });
}

function tokenOf(entry: CorpusCase): string {
  return readFileSync(join(corpusDir, entry.file), 'utf8');
}

/** Validates the case's token `repeat` times with one validator; the last outcome is the verdict. */
async function run(entry: CorpusCase): Promise<{ identity?: VerifiedIdentity; error?: unknown }> {
  const now = new Date(entry.options.now);
  const validator = createTokenValidator({
    trust: trustFor(entry),
    audiences: entry.options.audiences,
    now: () => now,
    ...(entry.options.recipient === undefined ? {} : { recipient: entry.options.recipient }),
    ...(entry.options.destination === undefined ? {} : { destination: entry.options.destination }),
  });
  const call = entry.options.inResponseTo === undefined ? {} : { inResponseTo: entry.options.inResponseTo };
  const token = tokenOf(entry);
  const attempts = entry.repeat ?? 1;
  for (let attempt = 1; attempt < attempts; attempt += 1) {
    await validator.validate(token, call);
  }
  try {
    return { identity: await validator.validate(token, call) };
  } catch (error) {
    return { error };
  }
}

describe('the adversarial XML-token corpus', () => {
  it('lists accepted baselines as well as attacks, each attack with its own expected code', () => {
    const accepted = manifest.cases.filter((entry) => entry.expected === 'accept');
    const rejected = manifest.cases.filter((entry) => entry.expected === 'reject');
    assert.ok(accepted.length >= 5, 'the corpus proves the harness accepts good tokens');
    assert.ok(rejected.length >= 40);
    for (const entry of rejected) assert.match(entry.expectedCode ?? '', /^CG_[A-Z]+_[A-Z_]+$/, entry.id);
  });

  for (const entry of manifest.cases) {
    const title =
      entry.expected === 'accept'
        ? `accepts ${entry.id} and returns the signed identity`
        : `rejects ${entry.id} with ${entry.expectedCode}`;
    it(title, async () => {
      const { identity, error } = await run(entry);
      if (entry.expected === 'accept') {
        assert.equal(error, undefined, `expected acceptance, got ${String((error as Error)?.stack)}`);
        assert.ok(identity !== undefined);
        const expected = entry.expectedIdentity!;
        assert.equal(identity.kind, expected.kind);
        assert.equal(identity.issuer, expected.issuer);
        assert.equal(identity.subject, expected.subject);
        assert.equal(identity.tokenId, expected.tokenId);
        for (const [claim, values] of Object.entries(expected.claims ?? {})) {
          assert.deepEqual(identity.claims[claim], values, claim);
        }
        return;
      }
      assert.ok(
        error instanceof ClaimsgateError,
        `expected ${entry.expectedCode}, got ${identity === undefined ? String(error) : `acceptance as ${identity.subject}`}`,
      );
      assert.equal(error.code, entry.expectedCode);
      if (entry.expectedDetailIncludes !== undefined) {
        assert.ok(JSON.stringify(error.detail).includes(entry.expectedDetailIncludes));
      }
    });
  }
});

describe('scripts/generate-adversarial-corpus.ts', () => {
  const outputDir = mkdtempSync(join(tmpdir(), 'claimsgate-corpus-'));
  after(() => rmSync(outputDir, { recursive: true, force: true }));

  it('reproduces every committed corpus file byte for byte from the committed keys', () => {
    const written = generateAdversarialCorpus({ outputDir, keysDir }).sort();
    const committed = readdirSync(corpusDir, { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name)
      .sort();
    assert.deepEqual(written, committed);
    for (const file of written) {
      assert.ok(
        readFileSync(join(outputDir, file)).equals(readFileSync(join(corpusDir, file))),
        `${file} differs from what the generator writes: run npm run corpus`,
      );
    }
  });

  it('gives every manifest case a file that the generator wrote', () => {
    const files = new Set(readdirSync(corpusDir));
    for (const entry of manifest.cases) assert.ok(files.has(entry.file), entry.file);
  });
});
