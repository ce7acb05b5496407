import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { openStore } from '../../src/store/open-store.js';

const dir = mkdtempSync(join(tmpdir(), 'claimsgate-open-store-'));
const now = (): Date => new Date('2026-03-01T09:00:00.000Z');

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('openStore', () => {
  it('opens a SQLite store from a plain path, creating its directory', async () => {
    const path = join(dir, 'plain', 'claimsgate.db');
    const store = await openStore(path, { now });
    try {
      assert.equal(store.backend, 'sqlite');
      const issuer = await store.createIssuer({ name: 'a', issuerUri: 'https://a.test/' }, 'admin:alice');
      assert.deepEqual(issuer.createdAt, now());
    } finally {
      await store.close();
    }
    assert.ok(existsSync(path));
  });

  it('opens a SQLite store from sqlite:<path> and sqlite://<absolute path>', async () => {
    const first = join(dir, 'prefixed.db');
    const store = await openStore(`sqlite:${first}`);
    await store.close();
    assert.ok(existsSync(first));
    const second = join(dir, 'url-form.db');
    const other = await openStore(`sqlite://${second}`);
    await other.close();
    assert.ok(existsSync(second));
  });

  it('refuses a location in an unsupported scheme with CG_STORE_UNAVAILABLE, never echoing its password', async () => {
    await assert.rejects(openStore('mysql://root:hunter2@127.0.0.1/claimsgate'), (error: unknown) => {
      assert.ok(isClaimsgateError(error, 'CG_STORE_UNAVAILABLE'));
      assert.equal(error.detail.observed, 'mysql');
      assert.ok(!JSON.stringify(error.toJSON()).includes('hunter2'));
      assert.ok(!error.message.includes('hunter2'));
      return true;
    });
  });

  it('refuses an empty location with CG_STORE_UNAVAILABLE', async () => {
    await assert.rejects(openStore('  '), (error: unknown) =>
      isClaimsgateError(error, 'CG_STORE_UNAVAILABLE'),
    );
    await assert.rejects(openStore('sqlite:'), (error: unknown) =>
      isClaimsgateError(error, 'CG_STORE_UNAVAILABLE'),
    );
  });

  it('hands postgres:// locations to the PostgreSQL backend', async () => {
    // Nothing listens on port 1 of the loopback: the PostgreSQL backend reports the database unreachable.
    await assert.rejects(openStore('postgres://claimsgate@127.0.0.1:1/claimsgate'), (error: unknown) =>
      isClaimsgateError(error, 'CG_STORE_UNAVAILABLE'),
    );
  });

  it('throws a TypeError for a location that is not a string', async () => {
    await assert.rejects(openStore(42 as unknown as string), TypeError);
  });
});
