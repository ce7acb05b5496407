import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { createTokenValidator, type UnknownKeyEvent } from '../../src/tokens/create-token-validator.js';
import { createTrustSnapshot } from '../../src/trust/create-trust-snapshot.js';
import { trustFromThumbprints } from '../../src/trust/in-memory-trust.js';
import { readFixture } from '../helpers/fixtures.js';

const ISSUER = 'https://sts.windows.net/75696069-df44-4310-9bcf-08b45e3007c9/';
const AUDIENCE = 'spn:408153f4-5960-43dc-9d4f-6b717d772c8d';
const SIGNER = '3464C5BDD2BE7F2B6112E2F08E9C0024E33D9FE0';
const token = readFixture('interop/office365.saml20-assertion.xml');
const at = new Date('2013-04-02T18:50:24Z');

function trustWith(thumbprints: string[]) {
  const { issuer, keys } = trustFromThumbprints(ISSUER, thumbprints, { allowSha1: true });
  return createTrustSnapshot({ issuers: [issuer], keys });
}

describe('createTokenValidator', () => {
  it('retries a token with an unknown key once against the fresher snapshot the hook returns', async () => {
    const events: UnknownKeyEvent[] = [];
    const validator = createTokenValidator({
      trust: trustWith(['00'.repeat(20)]),
      audiences: AUDIENCE,
      now: () => at,
      onUnknownKey: (event) => {
        events.push(event);
        return trustWith(['00'.repeat(20), SIGNER]);
      },
    });
    const identity = await validator.validate(token);
    assert.equal(identity.signingKey.sha1, SIGNER);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.issuer, ISSUER);
    assert.equal(events[0]!.sha1, SIGNER);
  });

  it('calls the hook at most once and reports the unknown key when the fresher trust still lacks it', async () => {
    let calls = 0;
    const validator = createTokenValidator({
      trust: trustWith(['00'.repeat(20)]),
      audiences: AUDIENCE,
      now: () => at,
      onUnknownKey: () => {
        calls += 1;
        return Promise.resolve(trustWith(['11'.repeat(20)]));
      },
    });
    await assert.rejects(validator.validate(token), (error: unknown) =>
      isClaimsgateError(error, 'CG_TRUST_KEY_UNKNOWN'),
    );
    assert.equal(calls, 1);
  });

  it('does not call the hook for an issuer it does not trust at all', async () => {
    let calls = 0;
    const { issuer, keys } = trustFromThumbprints('https://other.example/', [SIGNER], { allowSha1: true });
    const validator = createTokenValidator({
      trust: createTrustSnapshot({ issuers: [issuer], keys }),
      audiences: AUDIENCE,
      now: () => at,
      onUnknownKey: () => {
        calls += 1;
        return undefined;
      },
    });
    await assert.rejects(validator.validate(token), (error: unknown) =>
      isClaimsgateError(error, 'CG_TRUST_ISSUER_UNKNOWN'),
    );
    assert.equal(calls, 0);
  });

  it('accepts a token once and refuses its replay until it expires', async () => {
    const validator = createTokenValidator({
      trust: trustWith([SIGNER]),
      audiences: AUDIENCE,
      now: () => at,
    });
    await validator.validate(token);
    await assert.rejects(validator.validate(token), (error: unknown) =>
      isClaimsgateError(error, 'CG_TOKEN_REPLAYED'),
    );
  });

  it('reads the current snapshot on every validation when given a function', async () => {
    let current = trustWith(['00'.repeat(20)]);
    const validator = createTokenValidator({
      trust: () => current,
      audiences: AUDIENCE,
      now: () => at,
      replayCache: false,
    });
    await assert.rejects(validator.validate(token), (error: unknown) =>
      isClaimsgateError(error, 'CG_TRUST_KEY_UNKNOWN'),
    );
    current = trustWith([SIGNER]);
    assert.equal((await validator.validate(token)).subject, '10030000838D23AF@MicrosoftOnline.com');
  });

  it('accepts the token as base64 and inside a form body', async () => {
    const validator = createTokenValidator({
      trust: trustWith([SIGNER]),
      audiences: AUDIENCE,
      now: () => at,
      replayCache: false,
    });
    assert.equal((await validator.validate(token.toString('base64'))).kind, 'saml20-assertion');
    const form = new URLSearchParams({ wa: 'wsignin1.0', wresult: token.toString('utf8') }).toString();
    assert.equal((await validator.validate(form)).kind, 'saml20-assertion');
  });

  it('refuses input that is no token, and input over the size limit', async () => {
    const validator = createTokenValidator({
      trust: trustWith([SIGNER]),
      audiences: AUDIENCE,
      maxTokenBytes: 2048,
    });
    await assert.rejects(validator.validate('hello there'), (error: unknown) =>
      isClaimsgateError(error, 'CG_TOKEN_FORMAT_UNKNOWN'),
    );
    await assert.rejects(validator.validate(token), (error: unknown) =>
      isClaimsgateError(error, 'CG_TOKEN_TOO_LARGE'),
    );
  });

  it('checks its options once, as a programming mistake', () => {
    const trust = trustWith([SIGNER]);
    assert.throws(() => createTokenValidator({ trust, audiences: [] }), TypeError);
    assert.throws(() => createTokenValidator({ trust, audiences: 'x', clockSkewSeconds: -1 }), TypeError);
    assert.throws(() => createTokenValidator({ trust, audiences: 'x', maxTokenBytes: 10 }), TypeError);
  });
});
