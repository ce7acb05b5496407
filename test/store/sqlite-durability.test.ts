import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { openStore } from '../../src/store/open-store.js';
import { openSqliteDatabase, withoutSync } from '../../src/store/sqlite/sqlite-connection.js';
import { changesTrust } from '../../src/store/refresh-durability.js';
import type { RefreshApplication } from '../../src/store/store.js';

const dir = mkdtempSync(join(tmpdir(), 'claimsgate-durability-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** SQLite's synchronous levels: 1 NORMAL, 2 FULL. */
const NORMAL = 1;
const FULL = 2;

describe('commits synced or not', () => {
  it('runs bookkeeping with synchronous = NORMAL and puts FULL back, even when the work throws', () => {
    const db = openSqliteDatabase(join(dir, 'sync.db'));
    try {
      const level = (): unknown => db.pragma('synchronous', { simple: true });
      assert.equal(level(), FULL, 'a connection syncs every commit by default');
      db.exec('CREATE TABLE t (v INTEGER)');
      const seen = withoutSync(db, () => {
        db.prepare('INSERT INTO t VALUES (1)').run();
        return level();
      });
      assert.equal(seen, NORMAL);
      assert.equal(level(), FULL);
      assert.throws(
        () =>
          withoutSync(db, () => {
            throw new Error('boom');
          }),
        /boom/,
      );
      assert.equal(level(), FULL, 'restored after a failure');
      assert.deepEqual(db.prepare('SELECT count(*) AS n FROM t').get(), { n: 1 }, 'the write was committed');
    } finally {
      db.close();
    }
  });

  const at = new Date('2026-03-01T09:00:00.000Z');
  const base: RefreshApplication = {
    issuerId: 'i',
    addKeys: [],
    updateKeys: [],
    snapshot: null,
    refreshState: {
      issuerId: 'i',
      lastAttemptAt: at,
      lastSuccessAt: at,
      lastOutcome: 'not-modified',
      lastErrorCode: null,
      lastErrorMessage: null,
      consecutiveFailures: 0,
      nextAttemptAt: at,
    },
    audit: [],
  };

  it('syncs a refresh that adds a key, moves one, or sets or clears a pending change; not one that records times', () => {
    assert.equal(changesTrust(base, null), false, 'a 304 only records its times and ETag');
    assert.equal(
      changesTrust({ ...base, updateKeys: [{ keyId: 'k', lastSeenInMetadataAt: at }] }, null),
      false,
      'seeing a key again is bookkeeping',
    );
    assert.equal(changesTrust({ ...base, updateKeys: [{ keyId: 'k', state: 'retiring' }] }, null), true);
    assert.equal(
      changesTrust(
        {
          ...base,
          addKeys: [{ issuerId: 'i', certificateDer: Buffer.alloc(1), source: 'metadata' }],
        },
        null,
      ),
      true,
    );
    assert.equal(changesTrust({ ...base, pendingChange: null }, null), true, 'clearing a pending change');
  });

  it('stores a replay ID without a flush of its own, and still refuses it the second time', async (t) => {
    const store = await openStore(join(dir, 'replays.db'));
    try {
      const now = new Date('2026-03-01T09:00:00.000Z');
      const expires = new Date(now.getTime() + 3_600_000);
      // Every synchronous level the store's connection is set to while the ID is stored.
      const pragma = t.mock.method(BetterSqlite3.prototype, 'pragma');
      assert.equal(await store.checkAndStoreReplay('_token-1', expires, now), true, 'new');
      const levels = pragma.mock.calls
        .map((call) => String(call.arguments[0]))
        .filter((source) => /^synchronous\s*=/i.test(source));
      pragma.mock.restore();
      assert.deepEqual(
        levels,
        ['synchronous = NORMAL', 'synchronous = FULL'],
        'NORMAL for the ID, FULL after',
      );
      assert.equal(await store.checkAndStoreReplay('_token-1', expires, now), false, 'a replay');
    } finally {
      await store.close();
    }
  });
});
