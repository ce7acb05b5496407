import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { expectInvalid, KEYED_ENV, problemAt } from './config-test-helpers.js';

function load(
  flags: Record<string, unknown>,
  env: Record<string, string> = {},
): ReturnType<typeof loadConfig> {
  return loadConfig({ env: { ...KEYED_ENV, ...env }, flags });
}

describe('the cross-field configuration checks', () => {
  it('refuses a non-loopback host unless allowPublicBind is set, and warns about the default public URL then', () => {
    for (const host of ['0.0.0.0', '192.0.2.10', 'gateway.example.com', '::']) {
      const { problems } = expectInvalid(() => load({ 'server.host': host }));
      assert.equal(problemAt(problems, 'server.host').observed, host);
    }
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost']) {
      assert.equal(load({ 'server.host': host }).config.server.host, host);
    }
    const { config, warnings } = load({ 'server.host': '0.0.0.0', 'server.allowPublicBind': true });
    assert.equal(config.server.host, '0.0.0.0');
    assert.ok(warnings.some((warning) => warning.startsWith('server.host')));
  });

  it('requires renewAfterSeconds < idleTimeoutSeconds <= absoluteLifetimeSeconds', () => {
    const { problems } = expectInvalid(() =>
      load(
        {},
        {
          CLAIMSGATE_SESSION_RENEW_AFTER_SECONDS: '3600',
          CLAIMSGATE_SESSION_ABSOLUTE_LIFETIME_SECONDS: '1800',
        },
      ),
    );
    assert.equal(problemAt(problems, 'session.renewAfterSeconds').source, 'env');
    assert.equal(problemAt(problems, 'session.idleTimeoutSeconds').source, 'default');
    const equal = load({ 'session.idleTimeoutSeconds': 600, 'session.absoluteLifetimeSeconds': 600 });
    assert.equal(equal.config.session.idleTimeoutSeconds, 600);
  });

  it('requires an https public URL for secure cookies and for __Host- cookie names', () => {
    const secure = expectInvalid(() => load({ 'session.secureCookies': 'true' }));
    assert.equal(problemAt(secure.problems, 'session.secureCookies').source, 'flag');
    const host = expectInvalid(() => load({ 'session.cookieName': '__Host-session' }));
    problemAt(host.problems, 'session.cookieName');
    const ok = load({ 'session.cookieName': '__Host-session', 'server.publicUrl': 'https://gw.example.com' });
    assert.equal(ok.config.session.secureCookies, true);
  });

  it('refuses an upstream that is not http(s) or that is the gateway itself', () => {
    expectInvalid(() => load({ 'gateway.upstream': 'file:///etc/passwd' }));
    const { problems } = expectInvalid(() =>
      load({ 'gateway.upstream': 'http://127.0.0.1:8787/app', 'server.publicUrl': 'http://127.0.0.1:8787' }),
    );
    problemAt(problems, 'gateway.upstream');
  });

  it('requires an https webhook unless its host is a loopback address', () => {
    const { problems } = expectInvalid(() => load({ 'rollover.webhook.url': 'http://hooks.example.com/a' }));
    problemAt(problems, 'rollover.webhook.url');
    assert.equal(load({ 'rollover.webhook.url': 'http://[::1]:9000/a' }).config.rollover.webhook?.retries, 3);
  });

  it('requires the settings of an optional group that was started', () => {
    const webhook = expectInvalid(() => load({ 'rollover.webhook.retries': 5 }));
    assert.deepEqual(webhook.problems, [
      { path: 'rollover.webhook.url', source: 'flag', message: webhook.problems[0]!.message },
    ]);
    const claim = expectInvalid(() => load({}, { CLAIMSGATE_ADMIN_ADMIN_CLAIM_TYPE: 'role' }));
    assert.equal(problemAt(claim.problems, 'admin.adminClaim.value').source, 'env');
  });

  it('reads admin.adminClaim.issuers as a list of names, empty unless given, and refuses repeats', () => {
    const claim = { CLAIMSGATE_ADMIN_ADMIN_CLAIM_TYPE: 'role', CLAIMSGATE_ADMIN_ADMIN_CLAIM_VALUE: 'Admin' };
    assert.deepEqual(load({}, claim).config.admin.adminClaim?.issuers, []);
    const listed = load({}, { ...claim, CLAIMSGATE_ADMIN_ADMIN_CLAIM_ISSUERS: 'contoso-aad, adfs' });
    assert.deepEqual(listed.config.admin.adminClaim?.issuers, ['contoso-aad', 'adfs']);
    const repeated = expectInvalid(() =>
      load({}, { ...claim, CLAIMSGATE_ADMIN_ADMIN_CLAIM_ISSUERS: '["a", "a"]' }),
    );
    problemAt(repeated.problems, 'admin.adminClaim.issuers[1]');
  });

  it('warns about plain-http metadata and an http public URL beyond loopback in production', () => {
    const { warnings } = load({
      'rollover.allowHttpMetadata': true,
      'server.publicUrl': 'http://gateway.example.com',
    });
    assert.equal(warnings.length, 2);
  });
});
