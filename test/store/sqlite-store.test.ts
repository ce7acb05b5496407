import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { isClaimsgateError } from '../../src/lib/errors.js';
import type { ErrorCode } from '../../src/lib/error-codes.js';
import { selectIssuerByDomainQuery } from '../../src/store/queries/issuer-domain-queries.js';
import { selectIssuerKeysQuery } from '../../src/store/queries/key-queries.js';
import { migrateSqlite } from '../../src/store/sqlite/sqlite-migrate.js';
import { createSqliteQueryBuilder, sqliteParameters } from '../../src/store/sqlite/sqlite-query-builder.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/sqlite-migrations.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { runStoreContract } from './store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'claimsgate-sqlite-'));
const frozen = (): Date => new Date('2026-03-01T09:00:00.000Z');
let fileCounter = 0;
function newPath(): string {
  fileCounter += 1;
  return join(dir, `capability-${fileCounter}`, 'claimsgate.db');
}

runStoreContract(
  'SQLite',
  ({ now, database }) => openSqliteStore(join(dir, `${database}.db`), { now }),
  () => Promise.resolve(),
);

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function rejectsWithCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(promise, (error: unknown) => isClaimsgateError(error) && error.code === code);
}

const childScript = fileURLToPath(new URL('./sqlite-child.ts', import.meta.url));
const tsxLoader = import.meta.resolve('tsx');

interface ChildReport {
  readonly opened: boolean;
  readonly code?: string;
}

/** Starts a second claimsgate process opening `location`; resolves with it and its first report line. */
function startChild(
  location: string,
  mode: 'probe' | 'hold',
  cwd = dir,
): Promise<{ child: ChildProcessWithoutNullStreams; report: ChildReport }> {
  const child = spawn(process.execPath, ['--import', tsxLoader, childScript, location, mode], { cwd });
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n') && line !== undefined)
        resolve({ child, report: JSON.parse(line) as ChildReport });
    });
    child.on('exit', (code) => {
      if (!stdout.includes('\n')) reject(new Error(`child exited ${code} without a report: ${stderr}`));
    });
  });
}

function waitForExit(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function headerBytes(path: string, from: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, from);
    return buffer;
  } finally {
    closeSync(fd);
  }
}

describe('SQLite store capabilities', () => {
  it('creates the file and its directory and keeps the database in WAL mode', async () => {
    const path = newPath();
    const store = await openSqliteStore(path, { now: frozen });
    assert.equal(store.backend, 'sqlite');
    await store.createIssuer({ name: 'a', issuerUri: 'https://a.test/' }, 'admin:alice');
    assert.ok(existsSync(`${path}-wal`), 'the write-ahead log exists while the store is open');
    await store.close();
    // SQLite file header bytes 18 and 19: format versions, 2 = WAL.
    assert.deepEqual([...headerBytes(path, 18, 2)], [2, 2]);
  });

  it('creates the database, its side files and its directory readable by the owner only', async () => {
    const path = newPath();
    const previous = process.umask(0o022);
    let store;
    try {
      store = await openSqliteStore(path, { now: frozen });
    } finally {
      process.umask(previous);
    }
    try {
      await store.createIssuer({ name: 'a', issuerUri: 'https://a.test/' }, 'admin:alice');
      // In exclusive locking mode the WAL index lives in memory: there is no -shm file.
      assert.ok(existsSync(`${path}-wal`));
      for (const file of [path, `${path}-wal`, `${path}-shm`].filter((name) => existsSync(name))) {
        assert.equal(statSync(file).mode & 0o777, 0o600, `${file} is 0600`);
      }
      assert.equal(statSync(join(path, '..')).mode & 0o777, 0o700);
    } finally {
      await store.close();
    }
  });

  it('refuses a second store on the same file in the same process with CG_STORE_IN_USE', async () => {
    const path = newPath();
    const store = await openSqliteStore(path, { now: frozen });
    try {
      await rejectsWithCode(openSqliteStore(path, { lockTimeoutMs: 50 }), 'CG_STORE_IN_USE');
    } finally {
      await store.close();
    }
    const again = await openSqliteStore(path);
    await again.close();
  });

  it('refuses a second claimsgate process with CG_STORE_IN_USE while the first has the file open', async () => {
    const path = newPath();
    const store = await openSqliteStore(path, { now: frozen });
    try {
      const { report } = await startChild(path, 'probe');
      assert.deepEqual(report, { opened: false, code: 'CG_STORE_IN_USE' });
    } finally {
      await store.close();
    }
    const { report } = await startChild(`sqlite:${path}`, 'probe');
    assert.equal(report.opened, true);
  });

  it('is refused by another process while a child holds the file, and free again once the child is killed', async () => {
    const path = newPath();
    const { child, report } = await startChild(path, 'hold');
    try {
      assert.equal(report.opened, true);
      await rejectsWithCode(openSqliteStore(path, { lockTimeoutMs: 50 }), 'CG_STORE_IN_USE');
    } finally {
      child.kill('SIGKILL');
      await waitForExit(child);
    }
    // The lock was the operating system's: the killed process left nothing stale behind.
    const store = await openSqliteStore(path);
    await store.close();
  });

  it('opens the default location ./data/claimsgate.db relative to the working directory', async () => {
    const cwd = join(dir, 'default-location');
    rmSync(cwd, { recursive: true, force: true });
    mkdirSync(cwd);
    const { report } = await startChild('-', 'probe', cwd);
    assert.equal(report.opened, true);
    assert.ok(existsSync(join(cwd, 'data', 'claimsgate.db')));
  });

  it('keeps the audit log append-only: UPDATE and DELETE of audit rows are refused by triggers', async () => {
    const path = newPath();
    const store = await openSqliteStore(path, { now: frozen });
    await store.createIssuer({ name: 'a', issuerUri: 'https://a.test/' }, 'admin:alice');
    await store.close();
    const db = new BetterSqlite3(path);
    try {
      assert.throws(() => db.prepare("UPDATE audit_log SET actor = 'mallory'").run(), {
        code: 'SQLITE_CONSTRAINT_TRIGGER',
      });
      assert.throws(() => db.prepare('DELETE FROM audit_log').run(), { code: 'SQLITE_CONSTRAINT_TRIGGER' });
      const rows = db.prepare('SELECT actor FROM audit_log').all();
      assert.deepEqual(rows, [{ actor: 'admin:alice' }]);
    } finally {
      db.close();
    }
  });

  it('applies migrations once: reopening applies nothing and keeps one row per version', async () => {
    const path = newPath();
    await (await openSqliteStore(path, { now: frozen })).close();
    await (await openSqliteStore(path, { now: frozen })).close();
    const db = new BetterSqlite3(path);
    try {
      const rows = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
      assert.deepEqual(
        rows,
        SQLITE_MIGRATIONS.map(({ version, name }) => ({ version, name })),
      );
      const result = migrateSqlite(db, SQLITE_MIGRATIONS, frozen());
      assert.deepEqual(result, {
        fromVersion: SQLITE_MIGRATIONS.length,
        toVersion: SQLITE_MIGRATIONS.length,
        applied: [],
      });
    } finally {
      db.close();
    }
  });

  it('gives existing keys a probation start by who added them when it adds the column (migration 8)', async () => {
    const path = newPath();
    mkdirSync(join(path, '..'), { recursive: true });
    const db = new BetterSqlite3(path);
    try {
      migrateSqlite(db, SQLITE_MIGRATIONS.slice(0, 7), frozen());
      db.exec(`
INSERT INTO issuers (id, name, description, issuer_uri, protocols, metadata_url, login_url, use_for_login,
  label, refresh_interval_seconds, signature_policy, allow_sha1, allowed_tenants, created_at, updated_at, version)
VALUES ('iss', 'contoso', '', 'https://sts.example.test/', '["wsfed"]', NULL, NULL, 1, 'CONTOSO', 3600,
  '{"mode":"self-consistent"}', 0, '[]', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 1);
INSERT INTO keys (id, issuer_id, sha1, source, added_by, state, state_changed_at, first_seen_at)
VALUES ('from-refresh', 'iss', '${'A'.repeat(40)}', 'metadata', 'refresh', 'retired',
          '2026-02-01T00:00:00.000Z', '2026-01-15T00:00:00.000Z'),
       ('by-hand', 'iss', '${'B'.repeat(40)}', 'manual', 'admin:alice', 'active',
          '2026-01-20T00:00:00.000Z', '2026-01-20T00:00:00.000Z');
`);
    } finally {
      db.close();
    }
    const store = await openSqliteStore(path, { now: frozen });
    try {
      const probation = Object.fromEntries(
        (await store.listKeys()).map((key) => [key.id, key.probationFrom]),
      );
      assert.deepEqual(probation, { 'from-refresh': new Date('2026-01-15T00:00:00.000Z'), 'by-hand': null });
    } finally {
      await store.close();
    }
  });

  it('gives existing issuers no domains when it adds them (migration 9), and they can then claim some', async () => {
    const path = newPath();
    mkdirSync(join(path, '..'), { recursive: true });
    const db = new BetterSqlite3(path);
    try {
      migrateSqlite(db, SQLITE_MIGRATIONS.slice(0, 8), frozen());
      db.exec(`
INSERT INTO issuers (id, name, description, issuer_uri, protocols, metadata_url, login_url, use_for_login,
  label, refresh_interval_seconds, signature_policy, allow_sha1, allowed_tenants, created_at, updated_at, version)
VALUES ('iss', 'contoso', '', 'https://sts.example.test/', '["wsfed"]', NULL, NULL, 1, 'CONTOSO', 3600,
  '{"mode":"self-consistent"}', 0, '[]', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 1);
`);
    } finally {
      db.close();
    }
    const store = await openSqliteStore(path, { now: frozen });
    try {
      assert.deepEqual((await store.getIssuer('contoso'))?.domains, []);
      await store.updateIssuer('iss', { domains: ['contoso.com'] }, 'admin:alice');
      assert.equal((await store.findIssuerByDomain('contoso.com'))?.name, 'contoso');
    } finally {
      await store.close();
    }
  });

  it('reads one issuer’s keys through an index on the issuer: the plan scans no table', async () => {
    const path = newPath();
    const store = await openSqliteStore(path, { now: frozen });
    await store.close();
    const query = selectIssuerKeysQuery.bind(createSqliteQueryBuilder(), { issuerId: 'iss' });
    const db = new BetterSqlite3(path);
    try {
      db.exec('ANALYZE');
      const plan = db
        .prepare(`EXPLAIN QUERY PLAN ${query.sql}`)
        .all(sqliteParameters(query))
        .map((row) => (row as { detail: string }).detail);
      assert.ok(
        plan.some((step) => /^SEARCH keys USING INDEX keys_issuer \(issuer_id=\?\)/.test(step)),
        plan.join('; '),
      );
      assert.ok(!plan.some((step) => /^SCAN keys/.test(step)), plan.join('; '));
    } finally {
      db.close();
    }
  });

  it('finds the issuer of a domain by primary key: the plan searches both tables by key and scans none', async () => {
    const path = newPath();
    const store = await openSqliteStore(path, { now: frozen });
    await store.createIssuer(
      { name: 'a', issuerUri: 'https://a.test/', domains: ['contoso.com'] },
      'admin:alice',
    );
    await store.close();
    const query = selectIssuerByDomainQuery.bind(createSqliteQueryBuilder(), { domain: 'contoso.com' });
    const db = new BetterSqlite3(path);
    try {
      db.exec('ANALYZE');
      const plan = db
        .prepare(`EXPLAIN QUERY PLAN ${query.sql}`)
        .all(sqliteParameters(query))
        .map((row) => (row as { detail: string }).detail);
      assert.ok(
        plan.some((step) => /^SEARCH issuer_domains USING PRIMARY KEY \(domain=\?\)/.test(step)),
        plan.join('; '),
      );
      assert.ok(
        plan.some((step) => /^SEARCH issuers USING INDEX \S+ \(id=\?\)/.test(step)),
        plan.join('; '),
      );
      assert.ok(!plan.some((step) => step.startsWith('SCAN')), plan.join('; '));
    } finally {
      db.close();
    }
  });

  it('refuses a database whose schema is newer than this release with CG_STORE_MIGRATION_FAILED', async () => {
    const path = newPath();
    await (await openSqliteStore(path, { now: frozen })).close();
    const db = new BetterSqlite3(path);
    db.prepare(
      "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from the future', 'x')",
    ).run();
    db.close();
    await rejectsWithCode(openSqliteStore(path, { now: frozen }), 'CG_STORE_MIGRATION_FAILED');
  });

  it('rolls back every migration of a run when one of them fails', () => {
    const db = new BetterSqlite3(join(dir, 'rollback.db'));
    try {
      const migrations = [
        { version: 1, name: 'good', up: 'CREATE TABLE first_table (id INTEGER PRIMARY KEY);' },
        {
          version: 2,
          name: 'bad',
          up: 'CREATE TABLE second_table (id INTEGER PRIMARY KEY); INSERT INTO nowhere VALUES (1);',
        },
      ];
      assert.throws(
        () => migrateSqlite(db, migrations, frozen()),
        (error: unknown) =>
          isClaimsgateError(error, 'CG_STORE_MIGRATION_FAILED') && error.detail['version'] === 2,
      );
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();
      assert.deepEqual(tables, []);
      assert.equal(db.inTransaction, false);
    } finally {
      db.close();
    }
  });

  it('refuses a file that is not a SQLite database with CG_STORE_UNAVAILABLE', async () => {
    const path = join(dir, 'not-a-database.db');
    writeFileSync(
      path,
      'this is not a database file, just text that is long enough to have a header'.repeat(20),
    );
    await rejectsWithCode(openSqliteStore(path), 'CG_STORE_UNAVAILABLE');
  });
});
