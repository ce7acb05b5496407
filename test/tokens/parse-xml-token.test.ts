import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it, mock } from 'node:test';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { createTokenValidator } from '../../src/tokens/create-token-validator.js';
import type { VerifiedIdentity } from '../../src/tokens/identity.js';
import { parseXmlToken, tokenXmlLimits } from '../../src/tokens/parse-xml-token.js';
import { createTrustSnapshot } from '../../src/trust/create-trust-snapshot.js';
import { trustFromThumbprints } from '../../src/trust/in-memory-trust.js';
import { parseXml } from '../../src/xml/parse-xml.js';
import { XmlTokenizer } from '../../src/xml/tokenize-xml.js';
import { fixturesDir, readFixture } from '../helpers/fixtures.js';

const ISSUER = 'https://sts.windows.net/75696069-df44-4310-9bcf-08b45e3007c9/';
const AUDIENCE = 'spn:408153f4-5960-43dc-9d4f-6b717d772c8d';
const SIGNER = '3464C5BDD2BE7F2B6112E2F08E9C0024E33D9FE0';
const token = readFixture('interop/office365.saml20-assertion.xml');
const at = new Date('2013-04-02T18:50:24Z');

function trustWith(thumbprints: string[]) {
  const { issuer, keys } = trustFromThumbprints(ISSUER, thumbprints, { allowSha1: true });
  return createTrustSnapshot({ issuers: [issuer], keys });
}

/** Counts the documents parsed while `run` runs (the canonical re-reads of signed bytes apart). */
async function documentsParsed(run: () => Promise<unknown>): Promise<number> {
  const next = mock.method(XmlTokenizer.prototype, 'next');
  try {
    await run();
  } finally {
    next.mock.restore();
  }
  const tokenizers = new Set(next.mock.calls.map((call) => call.this as XmlTokenizer));
  return [...tokenizers].filter((tokenizer) => !tokenizer.canonical).length;
}

describe('tokenXmlLimits', () => {
  afterEach(() => mock.restoreAll());

  it('scales the counts with the token size limit', () => {
    const small = tokenXmlLimits(256 * 1024);
    const large = tokenXmlLimits(1024 * 1024);
    assert.equal(small.maxBytes, 256 * 1024);
    assert.equal(small.maxElements, 8_192);
    assert.equal(large.maxElements, 32_768);
    assert.equal(large.maxNodes, Math.floor((1024 * 1024) / 12));
    assert.equal(small.maxDepth, large.maxDepth);
  });

  it('parses every real token in the fixtures with a tenth of each limit', () => {
    const limits = tokenXmlLimits(256 * 1024);
    const tenth = {
      maxAttributesPerElement: Math.floor(limits.maxAttributesPerElement / 10),
      maxNamespaceDeclarationsPerElement: Math.floor(limits.maxNamespaceDeclarationsPerElement / 10),
      maxNamespaceDeclarations: Math.floor(limits.maxNamespaceDeclarations / 10),
      maxElements: Math.floor(limits.maxElements / 10),
      maxNodes: Math.floor(limits.maxNodes / 10),
    };
    const files = readdirSync(join(fixturesDir, 'interop')).filter((file) => file.endsWith('.xml'));
    assert.ok(files.length > 10);
    for (const file of files) {
      const parsed = parseXml(readFixture(`interop/${file}`), tenth);
      assert.ok(parsed.root.localName.length > 0, file);
    }
  });

  it('refuses the hostile shapes of issue 11 at their limit, each with its code', () => {
    const limit = 256 * 1024;
    const refuses = (text: string, code: string): void =>
      assert.throws(
        () => parseXmlToken(text, limit),
        (error: unknown) => isClaimsgateError(error) && error.code === code,
        code,
      );
    const declarations = Array.from({ length: 8_500 }, (_, i) => ` xmlns:p${i}="u"`).join('');
    refuses(`<r${declarations}>${'<b xmlns="u"/>'.repeat(100)}</r>`, 'CG_XML_TOO_MANY_NAMESPACES');
    refuses(`<r>${'<b xmlns="u"/>'.repeat(9_300)}</r>`, 'CG_XML_TOO_MANY_NAMESPACES');
    const attributes = Array.from({ length: 30_000 }, (_, i) => ` a${i.toString(36)}=""`).join('');
    refuses(`<r${attributes}/>`, 'CG_XML_TOO_MANY_ATTRIBUTES');
    refuses(`<r>${'<b/>'.repeat(10_000)}</r>`, 'CG_XML_TOO_MANY_ELEMENTS');
    refuses(`<r>${'x<!---->'.repeat(12_000)}</r>`, 'CG_XML_TOO_MANY_NODES');
  });
});

describe('parsing a token once per validation', () => {
  it('parses a token naming a key the refreshed trust still does not know once, and lets its tree go while it waits', async () => {
    const validator = createTokenValidator({
      trust: trustWith(['00'.repeat(20)]),
      audiences: AUDIENCE,
      now: () => at,
      replayCache: false,
      onUnknownKey: () => trustWith(['11'.repeat(20)]),
    });
    const parsed = await documentsParsed(async () => {
      await assert.rejects(validator.validate(token), (error: unknown) =>
        isClaimsgateError(error, 'CG_TRUST_KEY_UNKNOWN'),
      );
    });
    // A flood of tokens naming random keys costs one parse each, however many refreshes they wait for.
    assert.equal(parsed, 1);
  });

  it('reads a token again only when the refreshed trust knows its key (the tree is not kept while the token waits)', async () => {
    const validator = createTokenValidator({
      trust: trustWith(['00'.repeat(20)]),
      audiences: AUDIENCE,
      now: () => at,
      replayCache: false,
      onUnknownKey: () => trustWith([SIGNER]),
    });
    let identity: VerifiedIdentity | undefined;
    const parsed = await documentsParsed(async () => {
      identity = await validator.validate(token);
    });
    assert.equal(identity?.signingKey.sha1, SIGNER);
    assert.equal(parsed, 2);
  });

  it('refuses a token kind the call does not accept before looking up any key', async () => {
    let hookCalls = 0;
    const validator = createTokenValidator({
      trust: trustWith(['00'.repeat(20)]),
      audiences: AUDIENCE,
      now: () => at,
      onUnknownKey: () => {
        hookCalls += 1;
        return undefined;
      },
    });
    await assert.rejects(
      validator.validate(token, { kinds: ['wsfed-saml11', 'wsfed-saml20'] }),
      (error: unknown) =>
        isClaimsgateError(error, 'CG_TOKEN_FORMAT_UNKNOWN') && error.detail.observed === 'saml20-assertion',
    );
    await assert.rejects(
      validator.validate('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln', { kinds: ['saml20-response'] }),
      (error: unknown) =>
        isClaimsgateError(error, 'CG_TOKEN_FORMAT_UNKNOWN') && error.detail.observed === 'jwt',
    );
    assert.equal(hookCalls, 0);
    // Accepted kinds go on to validation as before (here: to the unknown key).
    await assert.rejects(validator.validate(token, { kinds: ['saml20-assertion'] }), (error: unknown) =>
      isClaimsgateError(error, 'CG_TRUST_KEY_UNKNOWN'),
    );
    assert.equal(hookCalls, 1);
  });

  it('hands each CPU-bound step to runStep: reading the token, one check per trust snapshot, and the read again after a useful refresh', async () => {
    const next = mock.method(XmlTokenizer.prototype, 'next');
    const parsers = (): number =>
      new Set(next.mock.calls.map((call) => call.this as XmlTokenizer).filter((t) => !t.canonical)).size;
    const parsedInStep: number[] = [];
    try {
      const validator = createTokenValidator({
        trust: trustWith(['00'.repeat(20)]),
        audiences: AUDIENCE,
        now: () => at,
        replayCache: false,
        onUnknownKey: () => trustWith([SIGNER]),
        runStep: async (step) => {
          const before = parsers();
          try {
            return await step();
          } finally {
            parsedInStep.push(parsers() - before);
          }
        },
      });
      await validator.validate(token);
    } finally {
      next.mock.restore();
    }
    // Read; check against the first snapshot (unknown key); after the refresh that brought the key, read and check again.
    assert.deepEqual(parsedInStep, [1, 0, 1, 0]);
  });
});
