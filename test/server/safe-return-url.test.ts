import assert from 'node:assert/strict';
import { validateHeaderValue } from 'node:http';
import { describe, it } from 'node:test';
import { safeReturnUrl } from '../../src/server/safe-return-url.js';

const ALLOWED = ['https://app.example.test', 'http://127.0.0.1:8787'];

describe('safeReturnUrl', () => {
  it('keeps a path on this site with its query and fragment', () => {
    assert.equal(safeReturnUrl('/reports?year=2026#top', ALLOWED), '/reports?year=2026#top');
    assert.equal(safeReturnUrl('/', ALLOWED), '/');
  });

  it('keeps an absolute URL whose origin is allowed', () => {
    assert.equal(safeReturnUrl('https://app.example.test/home', ALLOWED), 'https://app.example.test/home');
    assert.equal(safeReturnUrl('http://127.0.0.1:8787/x', ALLOWED), 'http://127.0.0.1:8787/x');
  });

  it('replaces every open-redirect shape by /', () => {
    const attempts = [
      '//evil.com',
      '//evil.com/path',
      '///evil.com',
      '/\\evil.com',
      '\\\\evil.com',
      '/\t/evil.com',
      '/\n/evil.com',
      ' /evil',
      'https://evil.com',
      'https://evil.com/',
      'http://app.example.test/',
      'https://app.example.test.evil.com/',
      'https://app.example.test@evil.com/',
      'https://user:pass@app.example.test/',
      'javascript:alert(1)',
      'JavaScript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'evil.com',
      'relative/path',
      '',
      `/${'a'.repeat(3000)}`,
    ];
    for (const attempt of attempts) assert.equal(safeReturnUrl(attempt, ALLOWED), '/', attempt);
  });

  it('replaces a value that is not a string by /', () => {
    for (const value of [undefined, null, 42, ['/a'], { href: '/a' }]) {
      assert.equal(safeReturnUrl(value, ALLOWED), '/');
    }
  });

  it('percent-encodes characters outside ASCII so the URL fits in a Location header', () => {
    assert.equal(safeReturnUrl('/€', ALLOWED), '/%E2%82%AC');
    assert.equal(
      safeReturnUrl('/caf\u00e9/東京?q=ü#ß', ALLOWED),
      '/caf%C3%A9/%E6%9D%B1%E4%BA%AC?q=%C3%BC#%C3%9F',
    );
    assert.equal(safeReturnUrl('/a%20b/€', ALLOWED), '/a%20b/%E2%82%AC');
    assert.equal(safeReturnUrl('https://app.example.test/€', ALLOWED), 'https://app.example.test/%E2%82%AC');
    for (const value of ['/€', '/é', '/\u3000/evil.com', '/東京?x=€']) {
      assert.match(safeReturnUrl(value, ALLOWED), /^[\x21-\x7e]+$/, value);
      // What Node's reply.redirect must accept as a header value.
      assert.doesNotThrow(() => validateHeaderValue('location', safeReturnUrl(value, ALLOWED)));
    }
  });

  it('replaces a path holding a lone surrogate by /', () => {
    assert.equal(safeReturnUrl('/a\ud800b', ALLOWED), '/');
  });

  it('allows no absolute URL at all when no origin is allowed', () => {
    assert.equal(safeReturnUrl('https://app.example.test/home', []), '/');
  });
});
