import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { envNameOf, listSettings } from '../../src/config/config-schema.js';
import { loadConfig } from '../../src/config/load-config.js';
import {
  expectInvalid,
  KEYED_ENV,
  memoryFiles,
  problemAt,
  SECRET_BASE64,
  SECRET_HEX,
} from './config-test-helpers.js';

describe('configuration from the environment', () => {
  it('names every setting CLAIMSGATE_<SECTION>_<FIELD> in upper snake case, each name once', () => {
    assert.equal(envNameOf('server.port'), 'CLAIMSGATE_SERVER_PORT');
    assert.equal(envNameOf('session.idleTimeoutSeconds'), 'CLAIMSGATE_SESSION_IDLE_TIMEOUT_SECONDS');
    assert.equal(envNameOf('database.url'), 'CLAIMSGATE_DATABASE_URL');
    assert.equal(envNameOf('rollover.alerts.expiryDays'), 'CLAIMSGATE_ROLLOVER_ALERTS_EXPIRY_DAYS');
    const names = listSettings().map((entry) => entry.env);
    assert.equal(new Set(names).size, names.length);
  });

  it('coerces numbers, booleans, enums, lists and mappings by the setting type', () => {
    const { config, sources } = loadConfig({
      env: {
        ...KEYED_ENV,
        CLAIMSGATE_SERVER_PORT: '9100',
        CLAIMSGATE_SERVER_TRUST_PROXY: 'true',
        CLAIMSGATE_ROLLOVER_ALLOW_HTTP_METADATA: '1',
        CLAIMSGATE_ADMIN_ENABLED: '0',
        CLAIMSGATE_SESSION_SECURE_COOKIES: 'false',
        CLAIMSGATE_LOGGING_LEVEL: 'debug',
        CLAIMSGATE_ROLLOVER_ALERTS_EXPIRY_DAYS: '14, 3',
        CLAIMSGATE_GATEWAY_ALLOWED_RETURN_ORIGINS: '["https://a.example.com","https://b.example.com:8443"]',
        CLAIMSGATE_ROLLOVER_WEBHOOK_URL: 'http://127.0.0.1:9999/alerts',
        CLAIMSGATE_ROLLOVER_WEBHOOK_HEADERS: '{"X-Team":"identity"}',
        CLAIMSGATE_DATABASE_URL: 'postgres://db.internal/claimsgate',
      },
      flags: {},
    });
    assert.equal(config.server.port, 9100);
    assert.equal(config.server.trustProxy, true);
    assert.equal(config.rollover.allowHttpMetadata, true);
    assert.equal(config.admin.enabled, false);
    assert.equal(config.session.secureCookies, false);
    assert.equal(config.logging.level, 'debug');
    assert.deepEqual(config.rollover.alerts.expiryDays, [14, 3]);
    assert.deepEqual(config.gateway.allowedReturnOrigins, [
      'https://a.example.com',
      'https://b.example.com:8443',
    ]);
    assert.deepEqual(config.rollover.webhook, {
      url: 'http://127.0.0.1:9999/alerts',
      headers: { 'X-Team': 'identity' },
      retries: 3,
    });
    assert.equal(config.database.url, 'postgres://db.internal/claimsgate');
    assert.equal(sources['database.url'], 'env');
  });

  it('reads session keys as id:secret pairs or as a JSON array', () => {
    const pairs = loadConfig({
      env: { CLAIMSGATE_SESSION_KEYS: `new:${SECRET_BASE64},old:${SECRET_HEX}` },
      flags: {},
    });
    assert.deepEqual(pairs.config.session.keys, [
      { id: 'new', secret: SECRET_BASE64 },
      { id: 'old', secret: SECRET_HEX },
    ]);
    const json = loadConfig({
      env: { CLAIMSGATE_SESSION_KEYS: JSON.stringify([{ id: 'k', secret: SECRET_HEX }]) },
      flags: {},
    });
    assert.deepEqual(json.config.session.keys, [{ id: 'k', secret: SECRET_HEX }]);
  });

  it('reports values that do not fit the type, with the value when it is not secret', () => {
    const { problems } = expectInvalid(() =>
      loadConfig({
        env: {
          ...KEYED_ENV,
          CLAIMSGATE_SERVER_PORT: '80.5',
          CLAIMSGATE_SERVER_TRUST_PROXY: 'yes',
          CLAIMSGATE_LOGGING_LEVEL: 'warning',
          CLAIMSGATE_ROLLOVER_ALERTS_EXPIRY_DAYS: '7,x,7',
          CLAIMSGATE_GATEWAY_ALLOWED_RETURN_ORIGINS: 'https://a.example.com/path',
          CLAIMSGATE_GATEWAY_UPSTREAM: 'ftp://files.example.com',
          CLAIMSGATE_VALIDATION_CLOCK_SKEW_SECONDS: '-1',
          CLAIMSGATE_ROLLOVER_WEBHOOK_HEADERS: 'Authorization: Bearer x',
        },
        flags: {},
      }),
    );
    assert.equal(problemAt(problems, 'server.port').observed, '80.5');
    assert.equal(problemAt(problems, 'server.trustProxy').observed, 'yes');
    assert.equal(problemAt(problems, 'logging.level').observed, 'warning');
    assert.equal(problemAt(problems, 'rollover.alerts.expiryDays[1]').observed, 'x');
    assert.equal(problemAt(problems, 'rollover.alerts.expiryDays[2]').observed, 7);
    assert.equal(problemAt(problems, 'gateway.allowedReturnOrigins[0]').source, 'env');
    assert.equal(problemAt(problems, 'gateway.upstream').observed, 'ftp://files.example.com/');
    assert.equal(problemAt(problems, 'validation.clockSkewSeconds').observed, -1);
    assert.equal(problemAt(problems, 'rollover.webhook.headers').observed, undefined, 'headers are secret');
    assert.ok(problems.every((problem) => problem.source === 'env'));
  });

  it('unsets an optional setting with an empty variable but refuses an empty required one', () => {
    const file = memoryFiles({ 'c.yaml': 'gateway:\n  upstream: http://127.0.0.1:3000\n' });
    const { config } = loadConfig({
      file: 'c.yaml',
      readFile: file,
      env: { ...KEYED_ENV, CLAIMSGATE_GATEWAY_UPSTREAM: '' },
      flags: {},
    });
    assert.equal(config.gateway.upstream, undefined);
    const { problems } = expectInvalid(() =>
      loadConfig({ env: { ...KEYED_ENV, CLAIMSGATE_SERVER_PORT: '' }, flags: {} }),
    );
    assert.equal(problemAt(problems, 'server.port').source, 'env');
  });

  it('warns about an unknown CLAIMSGATE_ variable without echoing its value', () => {
    const { warnings } = loadConfig({
      env: { ...KEYED_ENV, CLAIMSGATE_DEPLOY_SLOT: '/srv/slot-secret-path', PATH: '/usr/bin' },
      flags: {},
    });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /CLAIMSGATE_DEPLOY_SLOT/);
    assert.doesNotMatch(warnings[0]!, /slot-secret-path/);
  });

  it('refuses a variable that looks like a misspelling of a known one, suggesting it', () => {
    const { problems } = expectInvalid(() =>
      loadConfig({
        env: {
          ...KEYED_ENV,
          CLAIMSGATE_SERVER_PROT: '9000',
          CLAIMSGATE_SESSION_IDLE_TIMEOUT: '600',
          CLAIMSGATE_DATABSE_URL: 'postgres://x',
        },
        flags: {},
      }),
    );
    assert.deepEqual(
      problems.map(({ path, source }) => ({ path, source })),
      [
        { path: 'CLAIMSGATE_DATABSE_URL', source: 'env' },
        { path: 'CLAIMSGATE_SERVER_PROT', source: 'env' },
        { path: 'CLAIMSGATE_SESSION_IDLE_TIMEOUT', source: 'env' },
      ],
    );
    assert.match(problemAt(problems, 'CLAIMSGATE_SERVER_PROT').message, /CLAIMSGATE_SERVER_PORT/);
    assert.match(
      problemAt(problems, 'CLAIMSGATE_SESSION_IDLE_TIMEOUT').message,
      /CLAIMSGATE_SESSION_IDLE_TIMEOUT_SECONDS/,
    );
    assert.ok(problems.every((problem) => problem.observed === undefined));
  });
});

describe('configuration from flags', () => {
  it('refuses an unknown flag path, suggesting the near miss', () => {
    const { problems } = expectInvalid(() =>
      loadConfig({ env: KEYED_ENV, flags: { 'server.prot': 1, 'logging.levl': 'debug' } }),
    );
    assert.match(problemAt(problems, 'server.prot').message, /server\.port/);
    assert.match(problemAt(problems, 'logging.levl').message, /logging\.level/);
    assert.equal(problemAt(problems, 'server.prot').source, 'flag');
  });
});

describe('signIn.chooserLimit', () => {
  it('lists at most 10 issuers by default, takes CLAIMSGATE_SIGN_IN_CHOOSER_LIMIT, and refuses a negative or huge limit', () => {
    assert.equal(loadConfig({ env: KEYED_ENV, flags: {} }).config.signIn.chooserLimit, 10);
    const { config, sources } = loadConfig({
      env: { ...KEYED_ENV, CLAIMSGATE_SIGN_IN_CHOOSER_LIMIT: '0' },
      flags: {},
    });
    assert.equal(config.signIn.chooserLimit, 0);
    assert.equal(sources['signIn.chooserLimit'], 'env');
    for (const value of ['-1', '1001', 'ten'])
      problemAt(
        expectInvalid(() =>
          loadConfig({ env: { ...KEYED_ENV, CLAIMSGATE_SIGN_IN_CHOOSER_LIMIT: value }, flags: {} }),
        ).problems,
        'signIn.chooserLimit',
      );
  });
});
