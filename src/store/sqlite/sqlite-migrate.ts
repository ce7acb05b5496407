import type { Database } from 'better-sqlite3';
import { ClaimsgateError } from '../../lib/errors.js';
import type { SqliteMigration } from './sqlite-migrations.js';

/** What {@link migrateSqlite} did. */
export interface SqliteMigrationResult {
  /** Schema version before. 0 for a new database. */
  readonly fromVersion: number;
  /** Schema version now. */
  readonly toVersion: number;
  /** Versions applied by this call, in order. */
  readonly applied: readonly number[];
}

function checkMigrationList(migrations: readonly SqliteMigration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1)
      throw new TypeError(
        `migrations must be numbered 1, 2, 3 … in order; found ${migration.version} at ${index}`,
      );
  });
}

/**
 * Brings the schema up to date: applies every migration newer than the
 * database's version, in one `BEGIN IMMEDIATE` transaction (SQLite's write
 * lock stands in for PostgreSQL's advisory migration lock), so that either
 * all of them apply or none does.
 *
 * `now` is recorded as each migration's `applied_at`.
 *
 * @throws ClaimsgateError `CG_STORE_MIGRATION_FAILED` when a migration fails
 *   (nothing is changed) or the database was written by a newer claimsgate.
 */
export function migrateSqlite(
  db: Database,
  migrations: readonly SqliteMigration[],
  now: Date = new Date(),
): SqliteMigrationResult {
  checkMigrationList(migrations);
  const latest = migrations.length;
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = applyPending(db, migrations, latest, now);
    db.exec('COMMIT');
    return result;
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

function applyPending(
  db: Database,
  migrations: readonly SqliteMigration[],
  latest: number,
  now: Date,
): SqliteMigrationResult {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
  );
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as {
    version: number | null;
  };
  const fromVersion = row.version ?? 0;
  if (fromVersion > latest) {
    throw new ClaimsgateError(
      'CG_STORE_MIGRATION_FAILED',
      `The database schema is at version ${fromVersion}, newer than this claimsgate knows (${latest}); it was written by a newer release.`,
      {
        hint: 'Run the claimsgate release that wrote this database (or a newer one); an older release cannot open it.',
        detail: { observed: fromVersion, expected: latest },
      },
    );
  }
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const applied: number[] = [];
  for (const migration of migrations.slice(fromVersion)) {
    try {
      db.exec(migration.up);
    } catch (error) {
      throw new ClaimsgateError(
        'CG_STORE_MIGRATION_FAILED',
        `SQLite migration ${migration.version} (${migration.name}) failed: ${error instanceof Error ? error.message : String(error)}. Nothing was changed.`,
        { detail: { version: migration.version, name: migration.name, fromVersion }, cause: error },
      );
    }
    record.run(migration.version, migration.name, now.toISOString());
    applied.push(migration.version);
  }
  return { fromVersion, toVersion: Math.max(fromVersion, latest), applied };
}
