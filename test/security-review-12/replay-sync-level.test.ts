/**
 * Security review 12 (commit 498b616): checkAndStoreReplay on SQLite runs in
 * withoutSync (synchronous = NORMAL for the statement, FULL after). Checks
 * that no other write ever commits at NORMAL because of it: a replay check
 * that throws, a closed store, and replay checks interleaved through the
 * async API with trust-changing writes. Each statement run is logged with
 * the connection's actual synchronous level at that moment (1 NORMAL, 2 FULL).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { openStore } from '../../src/store/open-store.js';

const dir = mkdtempSync(join(tmpdir(), 'claimsgate-sr12-level-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ACTOR = 'admin:review';
const now = new Date('2026-03-01T09:00:00.000Z');
const expires = new Date(now.getTime() + 3_600_000);
const hex = (n: number, c: string) => c.repeat(n);

interface Run {
  readonly sql: string;
  readonly level: number;
}

/** Logs every statement run with the real synchronous level of its connection, and every level set. */
function watch(t: TestContext): { runs: Run[]; sets: string[] } {
  const runs: Run[] = [];
  const sets: string[] = [];
  const probe = new BetterSqlite3(':memory:');
  const Statement = Object.getPrototypeOf(probe.prepare('select 1')) as {
    run: (...args: unknown[]) => unknown;
    get: (...args: unknown[]) => unknown;
    all: (...args: unknown[]) => unknown;
    database: BetterSqlite3.Database;
    source: string;
  };
  probe.close();
  const originals = { run: Statement.run, get: Statement.get, all: Statement.all };
  const originalPragma = Reflect.get(BetterSqlite3.prototype, 'pragma') as (...a: unknown[]) => unknown;
  t.mock.method(
    BetterSqlite3.prototype,
    'pragma',
    function (this: BetterSqlite3.Database, ...args: unknown[]) {
      if (/^synchronous\s*=/i.test(String(args[0]))) sets.push(String(args[0]));
      return originalPragma.apply(this, args);
    },
  );
  for (const name of ['run', 'get', 'all'] as const) {
    t.mock.method(Statement, name, function (this: typeof Statement, ...args: unknown[]) {
      if (!/^PRAGMA/i.test(this.source)) {
        const level = originalPragma.call(this.database, 'synchronous', { simple: true }) as number;
        runs.push({ sql: this.source, level });
      }
      return originals[name].apply(this, args);
    });
  }
  return { runs, sets };
}

describe('security review 12: the synchronous level around a replay check', () => {
  it('a replay check that throws (refused ID, bad dates) leaves FULL for the next trust write', async (t) => {
    const store = await openStore(join(dir, 'throws.db'));
    try {
      const { runs, sets } = watch(t);
      const refusals = [
        store.checkAndStoreReplay('', expires, now),
        store.checkAndStoreReplay('x'.repeat(100_000), expires, now),
        store.checkAndStoreReplay(42 as never, expires, now),
        store.checkAndStoreReplay('_ok', 'tomorrow' as never, now),
        store.checkAndStoreReplay('_ok', expires, new Date(Number.NaN)),
      ];
      for (const refusal of refusals)
        await assert.rejects(refusal, (e: unknown) => isClaimsgateError(e) && e.code === 'CG_STORE_INVALID');
      const issuer = await store.createIssuer({ name: 'a', issuerUri: 'https://a.test/' }, ACTOR);
      await store.addKey({ issuerId: issuer.id, sha1: hex(20, 'ab'), source: 'manual' }, ACTOR);
      assert.equal(sets.length % 2, 0, 'every NORMAL set is followed by FULL');
      for (let i = 0; i < sets.length; i += 2)
        assert.deepEqual(sets.slice(i, i + 2), ['synchronous = NORMAL', 'synchronous = FULL']);
      const writes = runs.filter((r) => /^\s*(insert|update|delete)/i.test(r.sql));
      assert.ok(writes.length > 0, 'the trust writes ran');
      for (const w of writes) assert.equal(w.level, 2, `synced: ${w.sql.slice(0, 60)}`);
    } finally {
      await store.close();
    }
  });

  it('a replay insert that fails in SQLite (SQLITE_BUSY, SQLITE_FULL) leaves FULL behind', async (t) => {
    const store = await openStore(join(dir, 'busy.db'));
    try {
      const issuer = await store.createIssuer({ name: 'a', issuerUri: 'https://a.test/' }, ACTOR);
      for (const code of ['SQLITE_BUSY', 'SQLITE_FULL']) {
        const { runs } = watch(t);
        const probe = new BetterSqlite3(':memory:');
        const Statement = Object.getPrototypeOf(probe.prepare('select 1')) as {
          run: (...a: unknown[]) => unknown;
          source: string;
        };
        probe.close();
        const inner = Statement.run;
        t.mock.method(Statement, 'run', function (this: typeof Statement, ...args: unknown[]) {
          if (/"replays"/.test(this.source)) throw new BetterSqlite3.SqliteError('injected', code);
          return inner.apply(this, args);
        });
        await assert.rejects(store.checkAndStoreReplay('_busy', expires, now));
        t.mock.restoreAll();
        const level = watch(t);
        await store.addKey(
          { issuerId: issuer.id, sha1: hex(20, code === 'SQLITE_BUSY' ? '34' : '56'), source: 'manual' },
          ACTOR,
        );
        t.mock.restoreAll();
        const keyInsert = level.runs.find((r) => /insert into "keys"/.test(r.sql));
        assert.equal(keyInsert?.level, 2, `${code}: the next addKey is synced`);
        void runs;
      }
    } finally {
      await store.close();
    }
  });

  it('a closed store refuses the check before touching the level', async (t) => {
    const store = await openStore(join(dir, 'closed.db'));
    await store.close();
    const { sets } = watch(t);
    await assert.rejects(
      store.checkAndStoreReplay('_a', expires, now),
      (e: unknown) => isClaimsgateError(e) && e.code === 'CG_STORE_UNAVAILABLE',
    );
    assert.deepEqual(sets, []);
  });

  it('replay checks interleaved with addKey, setKeyState, createIssuer: only the replay inserts run at NORMAL', async (t) => {
    const store = await openStore(join(dir, 'interleave.db'));
    try {
      const issuer = await store.createIssuer({ name: 'a', issuerUri: 'https://a.test/' }, ACTOR);
      const key = await store.addKey({ issuerId: issuer.id, sha1: hex(20, 'cd'), source: 'manual' }, ACTOR);
      const { runs } = watch(t);
      const results = await Promise.allSettled([
        store.checkAndStoreReplay('_r1', expires, now),
        store.addKey({ issuerId: issuer.id, sha1: hex(20, 'ef'), source: 'manual' }, ACTOR),
        store.checkAndStoreReplay('', expires, now),
        store.setKeyState(key.id, 'revoked', ACTOR, 'compromised'),
        store.checkAndStoreReplay('_r1', expires, now),
        store.createIssuer({ name: 'b', issuerUri: 'https://b.test/' }, ACTOR),
        store.checkAndStoreReplay('_r2', expires, now),
        store.recordKeyUse(key.id, now),
        store.addKey({ issuerId: issuer.id, sha1: hex(20, '12'), source: 'manual' }, ACTOR),
      ]);
      assert.deepEqual(
        results.map((r) => r.status),
        [
          'fulfilled',
          'fulfilled',
          'rejected',
          'fulfilled',
          'fulfilled',
          'fulfilled',
          'fulfilled',
          'fulfilled',
          'fulfilled',
        ],
      );
      assert.equal((results[0] as PromiseFulfilledResult<boolean>).value, true);
      assert.equal((results[4] as PromiseFulfilledResult<boolean>).value, false, 'a replay');
      const writes = runs.filter((r) => /^\s*(insert|update|delete)/i.test(r.sql));
      if (process.env.SR12_DEBUG)
        console.log(writes.map((w) => `${w.level} ${w.sql.slice(0, 70)}`).join('\n'));
      for (const w of writes) {
        const bookkeeping = /"replays"|"last_used_at" = case/i.test(w.sql);
        assert.equal(w.level, bookkeeping ? 1 : 2, `${w.level}: ${w.sql.slice(0, 80)}`);
      }
      assert.ok(
        writes.some((w) => /"replays"/.test(w.sql)) &&
          writes.some((w) => /"keys"/.test(w.sql) && w.level === 2),
      );
    } finally {
      await store.close();
    }
  });
});
