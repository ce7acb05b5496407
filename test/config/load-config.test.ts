import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listSettings } from '../../src/config/config-schema.js';
import { loadConfig } from '../../src/config/load-config.js';
import {
  expectInvalid,
  KEYED_ENV,
  memoryFiles,
  problemAt,
  SECRET_BASE64,
  SECRET_HEX,
} from './config-test-helpers.js';

describe('loadConfig', () => {
  it('fills every setting from its default and generates a session key with a warning in development mode', () => {
    const { config, warnings, sources } = loadConfig({ env: { CLAIMSGATE_MODE: 'development' }, flags: {} });
    assert.equal(config.mode, 'development');
    assert.equal(config.server.host, '127.0.0.1');
    assert.equal(config.server.port, 8787);
    assert.equal(config.server.publicUrl, 'http://127.0.0.1:8787');
    assert.equal(config.server.trustProxy, false);
    assert.equal(config.server.shutdownGraceMs, 10_000);
    assert.equal(config.database.url, './data/claimsgate.db');
    assert.equal(config.session.absoluteLifetimeSeconds, 28_800);
    assert.equal(config.session.idleTimeoutSeconds, 3_600);
    assert.equal(config.session.renewAfterSeconds, 300);
    assert.equal(config.session.secureCookies, false, 'auto resolves to false for an http public URL');
    assert.equal(config.validation.clockSkewSeconds, 300);
    assert.equal(config.validation.maxTokenBytes, 131_072);
    assert.deepEqual(config.rollover.alerts.expiryDays, [30, 7, 1]);
    assert.equal(config.rollover.webhook, undefined);
    assert.equal(config.gateway.upstream, undefined);
    assert.deepEqual(config.gateway.allowedReturnOrigins, ['http://127.0.0.1:8787']);
    assert.equal(config.gateway.identityHeaderPrefix, 'X-Claimsgate-');
    assert.equal(config.admin.enabled, true);
    assert.equal(config.admin.adminClaim, undefined);
    assert.equal(config.logging.level, 'info');

    assert.equal(config.session.keys.length, 1);
    assert.ok(Buffer.from(config.session.keys[0]!.secret, 'base64url').length >= 32);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /^session\.keys/);
    assert.equal(sources['mode'], 'env');
    assert.equal(sources['server.port'], 'default');
  });

  it('generates a different development key on every load', () => {
    const first = loadConfig({ env: { CLAIMSGATE_MODE: 'development' }, flags: {} });
    const second = loadConfig({ env: { CLAIMSGATE_MODE: 'development' }, flags: {} });
    assert.notEqual(first.config.session.keys[0]!.secret, second.config.session.keys[0]!.secret);
  });

  it('refuses production without session keys, naming session.keys', () => {
    const { problems } = expectInvalid(() => loadConfig({ env: {}, flags: {} }));
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.path, 'session.keys');
    assert.equal(problems[0]!.source, 'default');
  });

  it('reads a YAML file', () => {
    const yaml = [
      'server:',
      '  port: 9000',
      '  publicUrl: https://gateway.example.com/',
      'session:',
      '  keys:',
      `    - { id: k1, secret: "${SECRET_HEX}" }`,
      'rollover:',
      '  alerts:',
      '    expiryDays: [14, 2]',
      '  webhook:',
      '    url: https://hooks.example.com/claimsgate',
      'admin:',
      '  adminClaim: { type: role, value: ClaimsgateAdmins, issuers: [contoso-aad] }',
      '',
    ].join('\n');
    const { config, sources } = loadConfig({
      file: '/etc/claimsgate.yaml',
      env: {},
      flags: {},
      readFile: memoryFiles({ '/etc/claimsgate.yaml': yaml }),
    });
    assert.equal(config.server.port, 9000);
    assert.equal(
      config.server.publicUrl,
      'https://gateway.example.com',
      'a base URL loses its trailing slash',
    );
    assert.equal(config.session.secureCookies, true, 'auto resolves to true for an https public URL');
    assert.deepEqual(config.gateway.allowedReturnOrigins, ['https://gateway.example.com']);
    assert.deepEqual(config.session.keys, [{ id: 'k1', secret: SECRET_HEX }]);
    assert.deepEqual(config.rollover.alerts.expiryDays, [14, 2]);
    assert.deepEqual(config.rollover.webhook, {
      url: 'https://hooks.example.com/claimsgate',
      headers: {},
      retries: 3,
    });
    assert.deepEqual(config.admin.adminClaim, {
      type: 'role',
      value: 'ClaimsgateAdmins',
      issuers: ['contoso-aad'],
    });
    assert.equal(sources['server.port'], 'file');
    assert.equal(sources['rollover.webhook.retries'], 'default');
    assert.equal(sources['server.host'], 'default');
  });

  it('reads a JSON file', () => {
    const json = JSON.stringify({
      mode: 'production',
      server: { port: 8443 },
      session: { keys: [{ id: 'a', secret: SECRET_BASE64 }], cookieName: 'gw' },
      gateway: { upstream: 'http://127.0.0.1:3000', allowedReturnOrigins: ['https://app.example.com'] },
    });
    const { config } = loadConfig({
      file: 'claimsgate.json',
      env: {},
      flags: {},
      readFile: memoryFiles({ 'claimsgate.json': json }),
    });
    assert.equal(config.server.port, 8443);
    assert.equal(config.session.cookieName, 'gw');
    assert.equal(config.gateway.upstream, 'http://127.0.0.1:3000');
    assert.deepEqual(config.gateway.allowedReturnOrigins, ['https://app.example.com']);
  });

  it('takes each setting from the highest of default < file < env < flags', () => {
    const files = memoryFiles({
      'c.yaml': 'server:\n  port: 1001\n  shutdownGraceMs: 1\nvalidation:\n  clockSkewSeconds: 1\n',
    });
    const base = { file: 'c.yaml', readFile: files };
    const env = { ...KEYED_ENV, CLAIMSGATE_SERVER_PORT: '1002', CLAIMSGATE_SERVER_SHUTDOWN_GRACE_MS: '2' };

    assert.equal(loadConfig({ env: KEYED_ENV, flags: {} }).config.server.port, 8787);
    assert.equal(loadConfig({ ...base, env: KEYED_ENV, flags: {} }).config.server.port, 1001);
    assert.equal(loadConfig({ ...base, env, flags: {} }).config.server.port, 1002);
    const all = loadConfig({ ...base, env, flags: { 'server.port': '1003' } });
    assert.equal(all.config.server.port, 1003);
    assert.equal(all.sources['server.port'], 'flag');
    assert.equal(all.sources['server.shutdownGraceMs'], 'env');
    assert.equal(all.config.server.shutdownGraceMs, 2);
    assert.equal(all.sources['validation.clockSkewSeconds'], 'file');
    assert.equal(all.config.validation.clockSkewSeconds, 1);
    assert.equal(
      all.config.server.publicUrl,
      'http://127.0.0.1:1003',
      'the derived default follows the final port',
    );
  });

  it('takes typed flag values as they are and skips undefined flags', () => {
    const { config } = loadConfig({
      env: KEYED_ENV,
      flags: { 'server.port': 9001, 'server.trustProxy': true, 'logging.level': undefined },
    });
    assert.equal(config.server.port, 9001);
    assert.equal(config.server.trustProxy, true);
    assert.equal(config.logging.level, 'info');
  });

  it('reports several problems at once with their paths and sources', () => {
    const files = memoryFiles({
      'c.yaml': 'server:\n  port: 70000\nlogging:\n  level: verbose\nsession:\n  idleTimeoutSeconds: 100\n',
    });
    const { error, problems } = expectInvalid(() =>
      loadConfig({
        file: 'c.yaml',
        readFile: files,
        env: { CLAIMSGATE_SESSION_RENEW_AFTER_SECONDS: '200', CLAIMSGATE_VALIDATION_MAX_TOKEN_BYTES: 'lots' },
        flags: { 'rollover.fetchTimeoutMs': 5, 'server.trustProxy': 'maybe' },
      }),
    );
    const found = problems.map(({ path, source }) => `${source} ${path}`).sort();
    assert.deepEqual(found, [
      'default session.keys',
      'env session.renewAfterSeconds',
      'env validation.maxTokenBytes',
      'file logging.level',
      'file server.port',
      'flag rollover.fetchTimeoutMs',
      'flag server.trustProxy',
    ]);
    assert.equal(problemAt(problems, 'server.port').observed, 70_000);
    assert.equal(problemAt(problems, 'validation.maxTokenBytes').observed, 'lots');
    assert.equal(
      error.message.split('\n').length,
      problems.length + 1,
      'one line per problem after the summary',
    );
  });

  it('reports a bad value in a lower layer even when a higher one overrides it', () => {
    const { problems } = expectInvalid(() =>
      loadConfig({
        file: 'c.json',
        readFile: memoryFiles({ 'c.json': '{"server":{"port":"eighty"}}' }),
        env: { ...KEYED_ENV, CLAIMSGATE_SERVER_PORT: '8080' },
        flags: {},
      }),
    );
    assert.deepEqual(
      problems.map(({ path, source }) => ({ path, source })),
      [{ path: 'server.port', source: 'file' }],
    );
  });

  it('freezes the configuration all the way down, so mutation throws in strict mode', () => {
    const { config, warnings, sources } = loadConfig({ env: { CLAIMSGATE_MODE: 'development' }, flags: {} });
    assert.ok(Object.isFrozen(config));
    assert.throws(() => {
      (config.server as { port: number }).port = 1;
    }, TypeError);
    assert.throws(() => {
      (config.session.keys as unknown as { id: string }[]).push({ id: 'x' });
    }, TypeError);
    assert.throws(() => {
      (config.session.keys[0] as { secret: string }).secret = 'x';
    }, TypeError);
    assert.throws(() => {
      (config.rollover.alerts.expiryDays as number[])[0] = 1;
    }, TypeError);
    assert.ok(Object.isFrozen(warnings));
    assert.ok(Object.isFrozen(sources));
  });

  it('lists a source for every setting present in the configuration', () => {
    const { sources } = loadConfig({ env: KEYED_ENV, flags: {} });
    const expected = listSettings()
      .map((entry) => entry.path)
      .filter(
        (path) =>
          !/^(rollover\.webhook|admin\.adminClaim)\.|^gateway\.upstream$|^metrics\.bearerToken$/.test(path),
      );
    assert.deepEqual(Object.keys(sources), expected);
  });

  it('refuses malformed options with a TypeError', () => {
    assert.throws(() => loadConfig({ env: null as unknown as Record<string, string>, flags: {} }), TypeError);
    assert.throws(
      () => loadConfig({ env: {}, flags: 'server.port=1' as unknown as Record<string, unknown> }),
      TypeError,
    );
    assert.throws(() => loadConfig({ file: '', env: {}, flags: {} }), TypeError);
  });
});
