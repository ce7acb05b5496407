import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONFIG_SCHEMA } from '../../src/config/config-schema.js';
import { assertConfigShape } from '../../src/config/config-shape.js';
import { loadConfig } from '../../src/config/load-config.js';
import { KEYED_ENV } from './config-test-helpers.js';

/** A loaded configuration as a plain, mutable copy to damage. */
function loadedCopy(env: Readonly<Record<string, string>> = KEYED_ENV): Record<string, unknown> {
  const copy: unknown = structuredClone(loadConfig({ env, flags: {} }).config);
  assert.ok(typeof copy === 'object' && copy !== null);
  return { ...copy };
}

function shapeError(path: string): (error: unknown) => boolean {
  return (error) => error instanceof TypeError && error.message.includes(` at ${path}.`);
}

describe('assertConfigShape', () => {
  it('accepts every configuration loadConfig returns, optional groups absent or present', () => {
    assert.doesNotThrow(() => assertConfigShape(CONFIG_SCHEMA, loadedCopy()));
    const withGroups = loadedCopy({
      ...KEYED_ENV,
      CLAIMSGATE_ROLLOVER_WEBHOOK_URL: 'http://127.0.0.1:9000/alerts',
      CLAIMSGATE_ADMIN_ADMIN_CLAIM_TYPE: 'role',
      CLAIMSGATE_ADMIN_ADMIN_CLAIM_VALUE: 'Admins',
    });
    assert.doesNotThrow(() => assertConfigShape(CONFIG_SCHEMA, withGroups));
  });

  it('names a required setting that is missing', () => {
    const config = loadedCopy();
    config.server = { ...(config.server as object), port: undefined };
    assert.throws(() => assertConfigShape(CONFIG_SCHEMA, config), shapeError('server.port'));
  });

  it('names a setting whose value is not of its declared type', () => {
    const config = loadedCopy();
    config.session = { ...(config.session as object), secureCookies: 'auto' };
    assert.throws(() => assertConfigShape(CONFIG_SCHEMA, config), shapeError('session.secureCookies'));
  });

  it('names a member the schema does not declare', () => {
    const config = loadedCopy();
    config.extra = true;
    assert.throws(() => assertConfigShape(CONFIG_SCHEMA, config), shapeError('extra'));
  });

  it('requires the settings of an optional group once the group is present', () => {
    const config = loadedCopy();
    const rollover = config.rollover as Record<string, unknown>;
    config.rollover = { ...rollover, webhook: { headers: {}, retries: 3 } };
    assert.throws(() => assertConfigShape(CONFIG_SCHEMA, config), shapeError('rollover.webhook.url'));
  });
});
