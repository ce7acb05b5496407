import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { checkLinkedUrl, checkRedirectTarget, isLoopbackUrl } from '../../src/metadata/metadata-url.js';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return isClaimsgateError(error) ? error.code : String(error);
  }
}

describe('metadata URLs', () => {
  it('counts every spelling of this machine as loopback, and nothing else', () => {
    const local = [
      'http://localhost/',
      'http://localhost./',
      'http://LOCALHOST/',
      'http://metadata.localhost/',
      'http://127.0.0.1:8788/',
      'http://127.1/',
      'http://0x7f.0.0.1/',
      'http://0.0.0.0:5432/',
      'http://[::1]/',
      'http://[::]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:0.0.0.0]/',
    ];
    for (const url of local) assert.equal(isLoopbackUrl(new URL(url)), true, url);
    const remote = [
      'https://login.microsoftonline.com/',
      'http://10.0.0.1/',
      'http://[::ffff:10.0.0.1]/',
      'http://[2001:db8::1]/',
      'http://localhost.example.com/',
      'http://128.0.0.1/',
    ];
    for (const url of remote) assert.equal(isLoopbackUrl(new URL(url)), false, url);
  });

  it("refuses a remote discovery document's jwks_uri on this machine, in every spelling (SSRF)", () => {
    const discovery = new URL('https://idp.example.com/tenant/v2.0/.well-known/openid-configuration');
    for (const target of [
      'http://127.0.0.1:6379/',
      'http://0.0.0.0:5432/internal',
      'http://[::ffff:127.0.0.1]/',
      'http://localhost./keys',
      'https://a.localhost/keys',
    ]) {
      assert.equal(
        codeOf(() => checkLinkedUrl(target, discovery, true)),
        'CG_META_URL_INSECURE',
        target,
      );
      assert.equal(
        codeOf(() => checkRedirectTarget(target, discovery, true)),
        'CG_META_URL_INSECURE',
        target,
      );
    }
    // A downgrade to http of a remote host is refused too, even with allowHttp.
    assert.equal(
      codeOf(() => checkLinkedUrl('http://keys.example.com/jwks', discovery, true)),
      'CG_META_URL_INSECURE',
    );
    // The ordinary case, and a loopback issuer naming its own loopback key set, pass.
    assert.equal(
      checkLinkedUrl('https://idp.example.com/keys', discovery, false).href,
      'https://idp.example.com/keys',
    );
    const local = new URL('http://127.0.0.1:8788/t/v2.0/.well-known/openid-configuration');
    assert.equal(checkLinkedUrl('http://127.0.0.1:8788/t/keys', local, false).host, '127.0.0.1:8788');
  });
});
