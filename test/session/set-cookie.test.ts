import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serializeSetCookie, type Cookie, type CookieAttributes } from '../../src/session/set-cookie.js';

function cookie(overrides: Partial<Cookie> = {}, attributes: Partial<CookieAttributes> = {}): Cookie {
  return {
    name: 'claimsgate_session',
    value: 'v1.k1.abc_-.def.ghi',
    ...overrides,
    attributes: { httpOnly: true, sameSite: 'Lax', secure: true, path: '/', maxAge: 3600, ...attributes },
  };
}

describe('serializeSetCookie', () => {
  it('writes Max-Age, Path, HttpOnly, Secure and SameSite=Lax', () => {
    assert.equal(
      serializeSetCookie(cookie()),
      'claimsgate_session=v1.k1.abc_-.def.ghi; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=Lax',
    );
  });

  it('leaves Secure out when the cookie is not secure, and keeps HttpOnly', () => {
    assert.equal(
      serializeSetCookie(cookie({}, { secure: false, path: '/app', maxAge: 0 })),
      'claimsgate_session=v1.k1.abc_-.def.ghi; Max-Age=0; Path=/app; HttpOnly; SameSite=Lax',
    );
  });

  it('writes an empty value for a deleting cookie', () => {
    assert.match(
      serializeSetCookie(cookie({ value: '' }, { maxAge: 0 })),
      /^claimsgate_session=; Max-Age=0;/,
    );
  });

  it('refuses names that are not RFC 6265 tokens', () => {
    for (const name of ['', 'a b', 'a=b', 'a;b', 'a,b', 'séance', 'a\nb', '(x)', 'a"b']) {
      assert.throws(() => serializeSetCookie(cookie({ name })), TypeError, name);
    }
  });

  it('refuses values that could inject attributes or split the header', () => {
    for (const value of ['a;b', 'a b', 'a,b', 'a"b', 'a\\b', 'a\r\nSet-Cookie: x=y', '\u007f', 'é', 'a\tb']) {
      assert.throws(() => serializeSetCookie(cookie({ value })), TypeError, JSON.stringify(value));
    }
  });

  it('refuses a path that is relative or holds a semicolon or control character, and a bad Max-Age', () => {
    for (const path of ['', 'app', '/a;b', '/a\nb', '/a\u0000']) {
      assert.throws(() => serializeSetCookie(cookie({}, { path })), TypeError, JSON.stringify(path));
    }
    for (const maxAge of [-1, 1.5, Number.NaN, Infinity]) {
      assert.throws(() => serializeSetCookie(cookie({}, { maxAge })), TypeError, String(maxAge));
    }
  });

  it('refuses a cookie that is not HttpOnly or not SameSite=Lax', () => {
    assert.throws(() => serializeSetCookie(cookie({}, { httpOnly: false as true })), TypeError);
    assert.throws(() => serializeSetCookie(cookie({}, { sameSite: 'None' as 'Lax' })), TypeError);
  });
});
