import type { QueryBuilder } from '../database.js';
import type { LoginThrottleRow } from '../login-throttle-rules.js';
import { prepareQuery } from '../prepared-query.js';

/** The keys of one attempt's three counters (see throttleKeys). */
export interface ThrottleKeys {
  readonly account: string;
  readonly address: string;
  readonly pair: string;
}

/** The attempt's counters that exist: by account, by address, by (account, address) pair. */
export function selectThrottleRows(sql: QueryBuilder, keys: ThrottleKeys) {
  return sql
    .selectFrom('admin_login_throttle')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb.and([eb('scope', '=', 'account'), eb('key', '=', keys.account)]),
        eb.and([eb('scope', '=', 'address'), eb('key', '=', keys.address)]),
        eb.and([eb('scope', '=', 'pair'), eb('key', '=', keys.pair)]),
      ]),
    )
    .orderBy('scope')
    .orderBy('key');
}

export const selectThrottleRowsQuery = prepareQuery(selectThrottleRows);

function throttleValues(row: LoginThrottleRow) {
  return {
    scope: row.scope,
    key: row.key,
    failures: row.failures,
    window_started_at: row.windowStartedAt,
    locked_until: row.lockedUntil,
    last_success_at: row.lastSuccessAt,
    expires_at: row.expiresAt,
  };
}

/** Binds a counter to {@link saveThrottleRowQuery} or {@link updateThrottleRowQuery}. */
export const throttleColumns = throttleValues;

/** Writes a counter, created or replaced. */
export const saveThrottleRowQuery = prepareQuery((sql: QueryBuilder, p: ReturnType<typeof throttleValues>) =>
  sql
    .insertInto('admin_login_throttle')
    .values({
      scope: p.scope,
      key: p.key,
      failures: p.failures,
      window_started_at: p.window_started_at,
      locked_until: p.locked_until,
      last_success_at: p.last_success_at,
      expires_at: p.expires_at,
    })
    .onConflict((oc) =>
      oc.columns(['scope', 'key']).doUpdateSet((eb) => ({
        failures: eb.ref('excluded.failures'),
        window_started_at: eb.ref('excluded.window_started_at'),
        locked_until: eb.ref('excluded.locked_until'),
        last_success_at: eb.ref('excluded.last_success_at'),
        expires_at: eb.ref('excluded.expires_at'),
      })),
    ),
);

/** Writes a counter that exists. */
export const updateThrottleRowQuery = prepareQuery(
  (sql: QueryBuilder, p: ReturnType<typeof throttleValues>) =>
    sql
      .updateTable('admin_login_throttle')
      .set({
        failures: p.failures,
        window_started_at: p.window_started_at,
        locked_until: p.locked_until,
        last_success_at: p.last_success_at,
        expires_at: p.expires_at,
      })
      .where('scope', '=', p.scope)
      .where('key', '=', p.key),
);

/** Empty counters, expiring at once, for those of the attempt that do not exist yet. */
export const insertThrottlePlaceholdersQuery = prepareQuery(
  (sql: QueryBuilder, p: ThrottleKeys & { readonly now: Date }) =>
    sql
      .insertInto('admin_login_throttle')
      .values([
        { scope: 'account', key: p.account, failures: 0, window_started_at: p.now, expires_at: p.now },
        { scope: 'address', key: p.address, failures: 0, window_started_at: p.now, expires_at: p.now },
        { scope: 'pair', key: p.pair, failures: 0, window_started_at: p.now, expires_at: p.now },
      ])
      .onConflict((oc) => oc.columns(['scope', 'key']).doNothing()),
);

export const purgeThrottleQuery = prepareQuery((sql: QueryBuilder, p: { now: Date }) =>
  sql.deleteFrom('admin_login_throttle').where('expires_at', '<=', p.now),
);
