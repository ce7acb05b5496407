import type { QueryBuilder } from '../database.js';
import type { SessionRevocationRecord } from '../model.js';
import { prepareQuery } from '../prepared-query.js';

export const listAdminAccountsQuery = prepareQuery((sql: QueryBuilder) =>
  sql.selectFrom('admin_accounts').selectAll().orderBy('username'),
);

/** By the lower-cased user name (see adminUsernameKey). */
export const selectAdminAccountQuery = prepareQuery((sql: QueryBuilder, p: { username: string }) =>
  sql.selectFrom('admin_accounts').selectAll().where('username', '=', p.username),
);

export const insertAdminAccountQuery = prepareQuery(
  (sql: QueryBuilder, p: { id: string; username: string; passwordHash: string; at: Date }) =>
    sql
      .insertInto('admin_accounts')
      .values({
        id: p.id,
        username: p.username,
        password_hash: p.passwordHash,
        created_at: p.at,
        updated_at: p.at,
        last_login_at: null,
      })
      .returningAll(),
);

export const setAdminPasswordQuery = prepareQuery(
  (sql: QueryBuilder, p: { id: string; passwordHash: string; at: Date }) =>
    sql
      .updateTable('admin_accounts')
      .set({ password_hash: p.passwordHash, updated_at: p.at })
      .where('id', '=', p.id)
      .returningAll(),
);

export const recordAdminLoginQuery = prepareQuery((sql: QueryBuilder, p: { id: string; at: Date }) =>
  sql.updateTable('admin_accounts').set({ last_login_at: p.at }).where('id', '=', p.id).returningAll(),
);

export const deleteAdminAccountQuery = prepareQuery((sql: QueryBuilder, p: { id: string }) =>
  sql.deleteFrom('admin_accounts').where('id', '=', p.id),
);

/** Binds a checked revocation (see normalizeSessionRevocation, adminAccountRevocation). */
export function revocationColumns(revocation: SessionRevocationRecord) {
  return {
    sid: revocation.sid,
    user_name: revocation.user,
    revoked_before: revocation.revokedBefore,
    expires_at: revocation.expiresAt,
  };
}

export const insertSessionRevocationQuery = prepareQuery(
  (sql: QueryBuilder, p: ReturnType<typeof revocationColumns>) =>
    sql.insertInto('session_revocations').values({
      sid: p.sid,
      user_name: p.user_name,
      revoked_before: p.revoked_before,
      expires_at: p.expires_at,
    }),
);

/** The revocations still in force at `now`, oldest first. */
export const listSessionRevocationsQuery = prepareQuery((sql: QueryBuilder, p: { now: Date }) =>
  sql
    .selectFrom('session_revocations')
    .select(['sid', 'user_name', 'revoked_before', 'expires_at'])
    .where('expires_at', '>', p.now)
    .orderBy('id'),
);

export const purgeSessionRevocationsQuery = prepareQuery((sql: QueryBuilder, p: { now: Date }) =>
  sql.deleteFrom('session_revocations').where('expires_at', '<=', p.now),
);
