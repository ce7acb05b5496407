import { toDateColumn } from '../records.js';
import { normalizeInstant, normalizeReplay } from '../validate-input.js';
import type { SqliteContext } from './sqlite-context.js';

/**
 * Records a token ID until `expiresAt`; true when it was new. One statement,
 * hence atomic: a new ID is inserted, an expired one is taken over, a live one
 * is left alone (and the call reports a replay).
 */
export function checkAndStoreReplay(ctx: SqliteContext, id: string, expiresAt: Date, now: Date): boolean {
  const replay = normalizeReplay(id, expiresAt, now);
  const result = ctx
    .prepare(
      `INSERT INTO replays (id, expires_at) VALUES (@id, @expires_at)
       ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at WHERE replays.expires_at <= @now`,
    )
    .run({ id: replay.id, expires_at: toDateColumn(replay.expiresAt), now: toDateColumn(replay.now) });
  return result.changes === 1;
}

/** Drops the IDs expired at `now`; returns how many. */
export function purgeReplays(ctx: SqliteContext, now: Date): number {
  const at = toDateColumn(normalizeInstant('now', now));
  return ctx.prepare('DELETE FROM replays WHERE expires_at <= ?').run(at).changes;
}
