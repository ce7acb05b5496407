import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { ClaimsgateError } from '../../src/lib/errors.js';
import {
  checkSignInBinding,
  createSignInBinding,
  serializeSignInBindingCookie,
  signInBindingCookieName,
  signInBindingDigest,
} from '../../src/session/sign-in-binding.js';

function bindingCode(cookieValue: string | undefined, digest: string): string | undefined {
  try {
    checkSignInBinding(cookieValue, digest);
    return undefined;
  } catch (error) {
    if (error instanceof ClaimsgateError) return error.code;
    throw error;
  }
}

describe('sign-in binding', () => {
  it('makes a fresh 128-bit value per sign-in, with its SHA-256 digest', () => {
    const first = createSignInBinding();
    const second = createSignInBinding();
    assert.match(first.value, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(Buffer.from(first.value, 'base64url').length, 16);
    assert.notEqual(first.value, second.value);
    assert.equal(first.digest, createHash('sha256').update(first.value).digest('base64url'));
    assert.equal(signInBindingDigest(first.value), first.digest);
  });

  it('accepts the cookie of the sign-in and refuses a missing, malformed or other one', () => {
    const mine = createSignInBinding();
    const theirs = createSignInBinding();
    assert.equal(bindingCode(mine.value, mine.digest), undefined);
    assert.equal(bindingCode(undefined, mine.digest), 'CG_SESSION_BINDING_MISMATCH');
    assert.equal(bindingCode('', mine.digest), 'CG_SESSION_BINDING_MISMATCH');
    assert.equal(bindingCode(theirs.value, mine.digest), 'CG_SESSION_BINDING_MISMATCH');
    assert.equal(bindingCode(`${mine.value};x`, mine.digest), 'CG_SESSION_BINDING_MISMATCH');
    // The digest itself is not a key: a browser that sends the digest as its cookie is refused.
    assert.equal(bindingCode(mine.digest, mine.digest), 'CG_SESSION_BINDING_MISMATCH');
  });

  it('is SameSite=None and Secure with a __Secure- name over https, SameSite=Lax over http, on /signin only', () => {
    const { value } = createSignInBinding();
    assert.equal(signInBindingCookieName({ secure: true }), '__Secure-claimsgate_signin');
    assert.equal(
      serializeSignInBindingCookie(value, 600, { secure: true }),
      `__Secure-claimsgate_signin=${value}; Max-Age=600; Path=/signin; HttpOnly; Secure; SameSite=None`,
    );
    assert.equal(
      serializeSignInBindingCookie(value, 600, { secure: false }),
      `claimsgate_signin=${value}; Max-Age=600; Path=/signin; HttpOnly; SameSite=Lax`,
    );
    assert.equal(
      serializeSignInBindingCookie('', 0, { secure: false }),
      'claimsgate_signin=; Max-Age=0; Path=/signin; HttpOnly; SameSite=Lax',
    );
  });

  it('refuses to serialise a value that is not a binding, or a bad Max-Age', () => {
    const { value } = createSignInBinding();
    for (const bad of ['', 'a;b', `${value}\r\nX: y`]) {
      assert.throws(() => serializeSignInBindingCookie(bad, 600, { secure: false }), TypeError);
    }
    for (const maxAge of [-1, 1.5, Number.NaN]) {
      assert.throws(() => serializeSignInBindingCookie(value, maxAge, { secure: true }), TypeError);
    }
  });
});
