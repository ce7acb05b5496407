import type { QueryBuilder } from '../database.js';
import type { MetadataSnapshotRecord, RefreshStateRecord } from '../model.js';
import { prepareQuery } from '../prepared-query.js';

export const selectRefreshStateQuery = prepareQuery((sql: QueryBuilder, p: { issuerId: string }) =>
  sql.selectFrom('refresh_states').selectAll().where('issuer_id', '=', p.issuerId),
);

/** Every issuer's refresh state: one read where one per issuer would cost a round trip each. */
export const selectRefreshStatesQuery = prepareQuery((sql: QueryBuilder) =>
  sql.selectFrom('refresh_states').selectAll().orderBy('issuer_id'),
);

export const selectSnapshotQuery = prepareQuery((sql: QueryBuilder, p: { issuerId: string }) =>
  sql.selectFrom('metadata_snapshots').selectAll().where('issuer_id', '=', p.issuerId),
);

/** The signer of the issuer's last-known-good document: what a refresh's durability is judged by (refresh-durability.ts). */
export const selectSnapshotSignerQuery = prepareQuery((sql: QueryBuilder, p: { issuerId: string }) =>
  sql.selectFrom('metadata_snapshots').select('signer_sha1').where('issuer_id', '=', p.issuerId),
);

/** Moves an issuer's next refresh (after a change of its settings, see rescheduleRefresh). */
export const rescheduleRefreshQuery = prepareQuery(
  (sql: QueryBuilder, p: { issuerId: string; nextAttemptAt: Date }) =>
    sql
      .updateTable('refresh_states')
      .set({ next_attempt_at: p.nextAttemptAt })
      .where('issuer_id', '=', p.issuerId),
);

export function snapshotColumns(snapshot: MetadataSnapshotRecord) {
  return {
    issuer_id: snapshot.issuerId,
    url: snapshot.url,
    fetched_at: snapshot.fetchedAt,
    etag: snapshot.etag,
    last_modified: snapshot.lastModified,
    sha256: snapshot.sha256,
    document: Buffer.from(snapshot.document),
    signer_sha1: snapshot.signerSha1,
  };
}

/** The issuer's last-known-good document, replacing the one before. */
export const saveSnapshotQuery = prepareQuery((sql: QueryBuilder, p: ReturnType<typeof snapshotColumns>) =>
  sql
    .insertInto('metadata_snapshots')
    .values({
      issuer_id: p.issuer_id,
      url: p.url,
      fetched_at: p.fetched_at,
      etag: p.etag,
      last_modified: p.last_modified,
      sha256: p.sha256,
      document: p.document,
      signer_sha1: p.signer_sha1,
    })
    .onConflict((oc) =>
      oc.column('issuer_id').doUpdateSet((eb) => ({
        url: eb.ref('excluded.url'),
        fetched_at: eb.ref('excluded.fetched_at'),
        etag: eb.ref('excluded.etag'),
        last_modified: eb.ref('excluded.last_modified'),
        sha256: eb.ref('excluded.sha256'),
        document: eb.ref('excluded.document'),
        signer_sha1: eb.ref('excluded.signer_sha1'),
      })),
    ),
);

export function refreshStateColumns(state: RefreshStateRecord) {
  return {
    issuer_id: state.issuerId,
    last_attempt_at: state.lastAttemptAt,
    last_success_at: state.lastSuccessAt,
    last_outcome: state.lastOutcome,
    last_error_code: state.lastErrorCode,
    last_error_message: state.lastErrorMessage,
    consecutive_failures: state.consecutiveFailures,
    next_attempt_at: state.nextAttemptAt,
  };
}

export const saveRefreshStateQuery = prepareQuery(
  (sql: QueryBuilder, p: ReturnType<typeof refreshStateColumns>) =>
    sql
      .insertInto('refresh_states')
      .values({
        issuer_id: p.issuer_id,
        last_attempt_at: p.last_attempt_at,
        last_success_at: p.last_success_at,
        last_outcome: p.last_outcome,
        last_error_code: p.last_error_code,
        last_error_message: p.last_error_message,
        consecutive_failures: p.consecutive_failures,
        next_attempt_at: p.next_attempt_at,
      })
      .onConflict((oc) =>
        oc.column('issuer_id').doUpdateSet((eb) => ({
          last_attempt_at: eb.ref('excluded.last_attempt_at'),
          last_success_at: eb.ref('excluded.last_success_at'),
          last_outcome: eb.ref('excluded.last_outcome'),
          last_error_code: eb.ref('excluded.last_error_code'),
          last_error_message: eb.ref('excluded.last_error_message'),
          consecutive_failures: eb.ref('excluded.consecutive_failures'),
          next_attempt_at: eb.ref('excluded.next_attempt_at'),
        })),
      ),
);
