import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ErrorCode } from '../../src/lib/error-codes.js';
import { ClaimsgateError } from '../../src/lib/errors.js';
import { open, seal } from '../../src/session/seal.js';
import { createSignInBinding } from '../../src/session/sign-in-binding.js';
import {
  createSignInStateCodec,
  type SignInStateInput,
  type SignInStatePurpose,
} from '../../src/session/sign-in-state.js';
import { createMemoryReplayCache } from '../../src/tokens/replay-cache.js';
import { T0, at, testRing } from './keys.js';

const PURPOSES: readonly SignInStatePurpose[] = ['wctx', 'relay-state', 'oidc-state'];

const wsfed: SignInStateInput = {
  returnUrl: '/orders/42?view=full',
  issuerName: 'contoso-aad',
  protocol: 'wsfed',
  bindingDigest: createSignInBinding().digest,
};

function codeOf(action: () => unknown): ErrorCode {
  try {
    action();
  } catch (error) {
    if (error instanceof ClaimsgateError) return error.code;
    throw error;
  }
  assert.fail('expected a ClaimsgateError');
}

function codec(ms = 0, ttlSeconds?: number) {
  const clock = { now: at(ms) };
  const ring = testRing('k1');
  return {
    ring,
    codec: createSignInStateCodec({
      ring,
      now: () => clock.now,
      ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
    }),
    setTime: (to: number): void => {
      clock.now = at(to);
    },
  };
}

describe('sign-in state', () => {
  it('round-trips for every purpose, with a jti and its times', () => {
    const { codec: states } = codec();
    for (const purpose of PURPOSES) {
      const value = states.encode(wsfed, purpose);
      const state = states.decode(value, purpose);
      assert.deepEqual({ ...state, jti: 'x' }, { ...wsfed, jti: 'x', issuedAt: T0, expiresAt: at(600_000) });
      assert.match(state.jti, /^[A-Za-z0-9_-]{22}$/);
      assert.ok(!('requestId' in state) && !('nonce' in state));
    }
  });

  it('seals the browser binding digest, requires it, and refuses state sealed without one', () => {
    const { codec: states, ring } = codec(0, 300);
    assert.equal(states.ttlSeconds, 300);
    const other = createSignInBinding().digest;
    const state = states.decode(states.encode({ ...wsfed, bindingDigest: other }, 'wctx'), 'wctx');
    assert.equal(state.bindingDigest, other);
    const unbound = Object.fromEntries(Object.entries(wsfed).filter(([key]) => key !== 'bindingDigest'));
    assert.throws(() => states.encode(unbound as SignInStateInput, 'wctx'), TypeError);
    assert.throws(() => states.encode({ ...wsfed, bindingDigest: '' }, 'wctx'), TypeError);
    const legacy = seal(
      ring,
      'wctx',
      { jti: 'j', ru: '/', is: 'contoso-aad', pr: 'wsfed' },
      { now: T0, ttlSeconds: 300 },
    );
    assert.equal(
      codeOf(() => states.decode(legacy, 'wctx')),
      'CG_SESSION_MALFORMED',
    );
  });

  it('carries the SAML request ID and the OIDC nonce', () => {
    const { codec: states } = codec();
    const saml = states.decode(
      states.encode({ ...wsfed, protocol: 'saml2', requestId: '_a1b2c3' }, 'relay-state'),
      'relay-state',
    );
    assert.equal(saml.requestId, '_a1b2c3');
    assert.equal(saml.protocol, 'saml2');
    const oidc = states.decode(
      states.encode({ ...wsfed, protocol: 'oidc', nonce: 'n-0S6_WzA2Mj' }, 'oidc-state'),
      'oidc-state',
    );
    assert.equal(oidc.nonce, 'n-0S6_WzA2Mj');
  });

  it('seals the OIDC PKCE code verifier without showing it, and refuses one that is not a string', () => {
    const { codec: states } = codec();
    const codeVerifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    const value = states.encode({ ...wsfed, protocol: 'oidc', nonce: 'n-1', codeVerifier }, 'oidc-state');
    assert.ok(!value.includes(codeVerifier));
    const oidc = states.decode(value, 'oidc-state');
    assert.equal(oidc.codeVerifier, codeVerifier);
    assert.equal(oidc.nonce, 'n-1');
    assert.ok(!('codeVerifier' in states.decode(states.encode(wsfed, 'wctx'), 'wctx')));
    assert.throws(
      () => states.encode({ ...wsfed, codeVerifier: 7 as unknown as string }, 'oidc-state'),
      TypeError,
    );
  });

  it('gives each encoded value its own jti, which a replay cache burns on first use', async () => {
    const { codec: states } = codec();
    const first = states.decode(states.encode(wsfed, 'wctx'), 'wctx');
    const second = states.decode(states.encode(wsfed, 'wctx'), 'wctx');
    assert.notEqual(first.jti, second.jti);
    const replayCache = createMemoryReplayCache({ now: () => T0 });
    assert.equal(await replayCache.checkAndStore(first.jti, first.expiresAt), true);
    assert.equal(await replayCache.checkAndStore(first.jti, first.expiresAt), false);
  });

  it('is safe in a URL without encoding and does not show the return URL', () => {
    const { codec: states } = codec();
    const value = states.encode({ ...wsfed, returnUrl: '/secret-path?q=a b&c=d' }, 'wctx');
    assert.equal(encodeURIComponent(value), value);
    assert.ok(!value.includes('secret-path'));
  });

  it('expires after ttlSeconds, exactly at its expiry', () => {
    const { codec: states, setTime } = codec(0, 120);
    const value = states.encode(wsfed, 'wctx');
    setTime(119_999);
    assert.equal(states.decode(value, 'wctx').returnUrl, wsfed.returnUrl);
    setTime(120_000);
    assert.equal(
      codeOf(() => states.decode(value, 'wctx')),
      'CG_SESSION_EXPIRED',
    );
  });

  it('does not decode for another purpose, nor open as a session', () => {
    const { codec: states, ring } = codec();
    for (const sealedFor of PURPOSES) {
      const value = states.encode(wsfed, sealedFor);
      for (const decodedAs of PURPOSES) {
        if (decodedAs === sealedFor) continue;
        assert.equal(
          codeOf(() => states.decode(value, decodedAs)),
          'CG_SESSION_INVALID',
        );
      }
      assert.equal(
        codeOf(() => open(ring, 'session', value, { now: T0 })),
        'CG_SESSION_INVALID',
      );
    }
  });

  it('answers tampered and garbage values with coded errors', () => {
    const { codec: states } = codec();
    const value = states.encode(wsfed, 'wctx');
    const parts = value.split('.');
    const ciphertext = Buffer.from(parts[3]!, 'base64url');
    ciphertext[0]! ^= 1;
    parts[3] = ciphertext.toString('base64url');
    assert.equal(
      codeOf(() => states.decode(parts.join('.'), 'wctx')),
      'CG_SESSION_INVALID',
    );
    for (const garbage of [undefined, '', 'abc', '/orders/42', 'x'.repeat(10_240)]) {
      assert.equal(
        codeOf(() => states.decode(garbage, 'wctx')),
        'CG_SESSION_MALFORMED',
      );
    }
  });

  it('refuses a return URL too long to seal with CG_SESSION_TOO_LARGE', () => {
    const { codec: states } = codec();
    assert.equal(
      codeOf(() => states.encode({ ...wsfed, returnUrl: `/${'a'.repeat(4000)}` }, 'wctx')),
      'CG_SESSION_TOO_LARGE',
    );
  });

  it('refuses malformed state, an unknown purpose and bad options with a TypeError', () => {
    const { codec: states, ring } = codec();
    assert.throws(() => states.encode({ ...wsfed, returnUrl: 42 as unknown as string }, 'wctx'), TypeError);
    assert.throws(() => states.encode({ ...wsfed, issuerName: '' }, 'wctx'), TypeError);
    assert.throws(() => states.encode({ ...wsfed, protocol: 'saml' as 'saml2' }, 'wctx'), TypeError);
    assert.throws(() => states.encode({ ...wsfed, nonce: 1 as unknown as string }, 'oidc-state'), TypeError);
    assert.throws(() => states.encode(wsfed, 'session' as SignInStatePurpose), TypeError);
    assert.throws(() => states.decode('x', 'session' as SignInStatePurpose), TypeError);
    for (const ttlSeconds of [0, -5, 1.5]) {
      assert.throws(() => createSignInStateCodec({ ring, ttlSeconds }), TypeError);
    }
  });
});
