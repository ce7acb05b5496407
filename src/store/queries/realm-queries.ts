import { sql as raw } from 'kysely';
import type { QueryBuilder } from '../database.js';
import type { PlannedUnlink } from '../issuer-removal.js';
import { prepareQuery } from '../prepared-query.js';
import { toJsonColumn } from '../records.js';
import type { RealmFields } from '../validate-input.js';

/** A realm's fields as its columns hold them. */
export interface RealmColumns {
  readonly realm_uri: string;
  readonly reply_url: string;
  readonly home_realm: string | null;
  /** JSON text. */
  readonly allowed_issuer_ids: string;
}

export function realmColumns(fields: RealmFields): RealmColumns {
  return {
    realm_uri: fields.realmUri,
    reply_url: fields.replyUrl,
    home_realm: fields.homeRealm,
    allowed_issuer_ids: toJsonColumn(fields.allowedIssuerIds) ?? '[]',
  };
}

export const selectRealmsQuery = prepareQuery((sql: QueryBuilder) =>
  sql.selectFrom('realms').selectAll().orderBy('realm_uri'),
);

/** By ID or by realm URI; the ID wins (an ID is never shaped like a realm URI anyway). */
export const selectRealmByIdOrUriQuery = prepareQuery((sql: QueryBuilder, p: { key: string }) =>
  sql
    .selectFrom('realms')
    .selectAll()
    .where((eb) => eb.or([eb('id', '=', p.key), eb('realm_uri', '=', p.key)]))
    .orderBy((eb) => eb('id', '=', p.key), 'desc')
    .limit(raw.lit(1)),
);

export const selectRealmQuery = prepareQuery((sql: QueryBuilder, p: { id: string }) =>
  sql.selectFrom('realms').selectAll().where('id', '=', p.id),
);

export const insertRealmQuery = prepareQuery(
  (sql: QueryBuilder, p: RealmColumns & { readonly id: string; readonly at: Date }) =>
    sql
      .insertInto('realms')
      .values({
        id: p.id,
        realm_uri: p.realm_uri,
        reply_url: p.reply_url,
        home_realm: p.home_realm,
        allowed_issuer_ids: p.allowed_issuer_ids,
        created_at: p.at,
        updated_at: p.at,
      })
      .returningAll(),
);

/** Sets every field of the realm (the caller merged the patch). */
export const updateRealmQuery = prepareQuery(
  (sql: QueryBuilder, p: RealmColumns & { readonly id: string; readonly at: Date }) =>
    sql
      .updateTable('realms')
      .set({
        realm_uri: p.realm_uri,
        reply_url: p.reply_url,
        home_realm: p.home_realm,
        allowed_issuer_ids: p.allowed_issuer_ids,
        updated_at: p.at,
      })
      .where('id', '=', p.id)
      .returningAll(),
);

/** The columns {@link unlinkRealmQuery} sets for one realm an issuer's removal changes. */
export function unlinkColumns(unlink: PlannedUnlink, at: Date) {
  return {
    id: unlink.realmId,
    home_realm: unlink.homeRealm,
    allowed_issuer_ids: toJsonColumn(unlink.allowedIssuerIds) ?? '[]',
    at,
  };
}

/** What an issuer's removal changes in a realm that named it (see planIssuerRemoval). */
export const unlinkRealmQuery = prepareQuery(
  (
    sql: QueryBuilder,
    p: {
      readonly id: string;
      readonly home_realm: string | null;
      readonly allowed_issuer_ids: string;
      readonly at: Date;
    },
  ) =>
    sql
      .updateTable('realms')
      .set({ home_realm: p.home_realm, allowed_issuer_ids: p.allowed_issuer_ids, updated_at: p.at })
      .where('id', '=', p.id)
      .returningAll(),
);

export const deleteRealmQuery = prepareQuery((sql: QueryBuilder, p: { id: string }) =>
  sql.deleteFrom('realms').where('id', '=', p.id),
);
