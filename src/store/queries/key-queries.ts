import type { CompiledQuery } from 'kysely';
import { USABLE_KEY_STATES, type KeyState } from '../../tokens/trust-snapshot.js';
import type { QueryBuilder } from '../database.js';
import { REFRESH_ACTOR, type Actor, type KeyRecord } from '../model.js';
import { prepareQuery } from '../prepared-query.js';
import { toJsonColumn, type KeyRow } from '../records.js';
import type { KeyFields } from '../validate-input.js';

export const listKeysQuery = prepareQuery((sql: QueryBuilder) =>
  sql.selectFrom('keys').selectAll().orderBy('issuer_id').orderBy('first_seen_at').orderBy('id'),
);

/** One issuer's keys, oldest first. */
export const selectIssuerKeysQuery = prepareQuery((sql: QueryBuilder, p: { issuerId: string }) =>
  sql
    .selectFrom('keys')
    .selectAll()
    .where('issuer_id', '=', p.issuerId)
    .orderBy('first_seen_at')
    .orderBy('id'),
);

export const selectKeyQuery = prepareQuery((sql: QueryBuilder, p: { id: string }) =>
  sql.selectFrom('keys').selectAll().where('id', '=', p.id),
);

/** A key, only if it belongs to the issuer. */
export const selectIssuerKeyQuery = prepareQuery((sql: QueryBuilder, p: { id: string; issuerId: string }) =>
  sql.selectFrom('keys').selectAll().where('id', '=', p.id).where('issuer_id', '=', p.issuerId),
);

/** A new key's columns (JSON as text). */
export function keyColumns(fields: KeyFields, id: string, addedBy: string, at: Date) {
  return {
    id,
    issuer_id: fields.issuerId,
    sha1: fields.sha1,
    sha256: fields.sha256,
    kid: fields.kid,
    certificate_der: fields.certificateDer,
    jwk: toJsonColumn(fields.jwk),
    subject: fields.subject,
    not_before: fields.notBefore,
    not_after: fields.notAfter,
    source: fields.source,
    added_by: addedBy,
    state: fields.state,
    at,
    // A key a document brought in serves its probation from now; one an actor added is vouched for.
    probation_from: addedBy === REFRESH_ACTOR ? at : null,
    last_seen_in_metadata_at: fields.lastSeenInMetadataAt,
  };
}

export const insertKeyQuery = prepareQuery((sql: QueryBuilder, p: ReturnType<typeof keyColumns>) =>
  sql
    .insertInto('keys')
    .values({
      id: p.id,
      issuer_id: p.issuer_id,
      sha1: p.sha1,
      sha256: p.sha256,
      kid: p.kid,
      certificate_der: p.certificate_der,
      jwk: p.jwk,
      subject: p.subject,
      not_before: p.not_before,
      not_after: p.not_after,
      source: p.source,
      added_by: p.added_by,
      state: p.state,
      state_changed_at: p.at,
      first_seen_at: p.at,
      probation_from: p.probation_from,
      last_seen_in_metadata_at: p.last_seen_in_metadata_at,
      last_used_at: null,
    })
    .returningAll(),
);

/** Moves a key to a state; changes nothing when it is in that state already. */
export const setKeyStateQuery = prepareQuery(
  (sql: QueryBuilder, p: { id: string; state: string; at: Date }) =>
    sql
      .updateTable('keys')
      .set({ state: p.state, state_changed_at: p.at })
      .where('id', '=', p.id)
      .where('state', '<>', p.state)
      .returningAll(),
);

/** Moves a key back into a usable state, restarting (a date) or ending (null) its probation. */
const restoreKeyQuery = prepareQuery(
  (sql: QueryBuilder, p: { id: string; state: string; at: Date; probationFrom: Date | null }) =>
    sql
      .updateTable('keys')
      .set({ state: p.state, state_changed_at: p.at, probation_from: p.probationFrom })
      .where('id', '=', p.id)
      .where('state', '<>', p.state)
      .returningAll(),
);

/**
 * The update that moves `key` to `state` at `at`, on behalf of `actor`.
 *
 * SECURITY: a key that comes back into a usable state from retired, revoked
 * or expired restarts its continuity probation when a refresh brings it back
 * — the time it spent untrusted must not make it established, or a key
 * published once, retired, and republished later would vouch for a document
 * at once (security review, round 5) — and is vouched for (no probation) when
 * an actor restores it by hand, as a key an actor adds is.
 */
export function keyStateUpdate(
  sql: QueryBuilder,
  key: Pick<KeyRecord, 'id' | 'state'>,
  state: KeyState,
  at: Date,
  actor: Actor,
): CompiledQuery<KeyRow> {
  if (USABLE_KEY_STATES.has(key.state) || !USABLE_KEY_STATES.has(state))
    return setKeyStateQuery.bind(sql, { id: key.id, state, at });
  const probationFrom = actor === REFRESH_ACTOR ? at : null;
  return restoreKeyQuery.bind(sql, { id: key.id, state, at, probationFrom });
}

export const setKeySeenQuery = prepareQuery((sql: QueryBuilder, p: { id: string; seen: Date }) =>
  sql.updateTable('keys').set({ last_seen_in_metadata_at: p.seen }).where('id', '=', p.id),
);

/**
 * A use of a key past `announced`: `last_used_at` only ever moves forward.
 * Changes no row for an announced key or an unknown ID (the slow path then runs).
 */
export const touchKeyUseQuery = prepareQuery((sql: QueryBuilder, p: { id: string; at: Date }) =>
  sql
    .updateTable('keys')
    .set((eb) => ({
      last_used_at: eb
        .case()
        .when(eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', p.at)]))
        .then(p.at)
        .else(eb.ref('last_used_at'))
        .end()
        .$castTo<Date | null>(),
    }))
    .where('id', '=', p.id)
    .where('state', '<>', 'announced'),
);

/** An announced key's first use: it becomes active. */
export const activateKeyQuery = prepareQuery((sql: QueryBuilder, p: { id: string; at: Date }) =>
  sql
    .updateTable('keys')
    .set({ state: 'active', state_changed_at: p.at, last_used_at: p.at })
    .where('id', '=', p.id),
);
