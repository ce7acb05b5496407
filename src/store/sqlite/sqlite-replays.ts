import type { Kysely } from 'kysely';
import { prepareQuery } from '../prepared-query.js';
import { normalizeInstant, normalizeReplay } from '../validate-input.js';
import type { SqliteContext } from './sqlite-context.js';
import type { SqliteDatabase } from './sqlite-query-builder.js';

/**
 * A new ID is inserted, an expired one is taken over, a live one is left
 * alone: one statement, hence atomic. SQLite keeps the ID itself (one
 * process per file; PostgreSQL keeps its SHA-256, see postgres-store.ts).
 */
const storeReplayQuery = prepareQuery(
  (sql: Kysely<SqliteDatabase>, p: { id: string; expiresAt: Date; now: Date }) =>
    sql
      .insertInto('replays')
      .values({ id: p.id, expires_at: p.expiresAt })
      .onConflict((oc) =>
        oc
          .column('id')
          .doUpdateSet((eb) => ({ expires_at: eb.ref('excluded.expires_at') }))
          .where('replays.expires_at', '<=', p.now),
      ),
);

const purgeReplaysQuery = prepareQuery((sql: Kysely<SqliteDatabase>, p: { now: Date }) =>
  sql.deleteFrom('replays').where('expires_at', '<=', p.now),
);

/** Records a token ID until `expiresAt`; true when it was new (or its entry had expired). */
export function checkAndStoreReplay(ctx: SqliteContext, id: string, expiresAt: Date, now: Date): boolean {
  const replay = normalizeReplay(id, expiresAt, now);
  const changes = ctx.run(
    storeReplayQuery.bind(ctx.local, { id: replay.id, expiresAt: replay.expiresAt, now: replay.now }),
  );
  return changes === 1;
}

/** Drops the IDs expired at `now`; returns how many. */
export function purgeReplays(ctx: SqliteContext, now: Date): number {
  return ctx.run(purgeReplaysQuery.bind(ctx.local, { now: normalizeInstant('now', now) }));
}
