import type { QueryBuilder } from '../database.js';
import type { PendingChangeRecord } from '../model.js';
import { prepareQuery } from '../prepared-query.js';
import { toPendingKeysColumn } from '../records.js';

export const selectPendingChangeQuery = prepareQuery((sql: QueryBuilder, p: { issuerId: string }) =>
  sql.selectFrom('pending_changes').selectAll().where('issuer_id', '=', p.issuerId),
);

export const listPendingChangesQuery = prepareQuery((sql: QueryBuilder) =>
  sql.selectFrom('pending_changes').selectAll().orderBy('detected_at').orderBy('issuer_id'),
);

export const deletePendingChangeQuery = prepareQuery((sql: QueryBuilder, p: { issuerId: string }) =>
  sql.deleteFrom('pending_changes').where('issuer_id', '=', p.issuerId),
);

export function pendingChangeColumns(change: PendingChangeRecord) {
  return {
    issuer_id: change.issuerId,
    detected_at: change.detectedAt,
    url: change.url,
    sha256: change.sha256,
    signer_sha1: change.signerSha1,
    reason: change.reason,
    keys_json: toPendingKeysColumn(change.keys),
    decision: change.decision,
    decided_by: change.decidedBy,
    decided_at: change.decidedAt,
  };
}

/** Sets the issuer's pending change, replacing the one before. */
export const savePendingChangeQuery = prepareQuery(
  (sql: QueryBuilder, p: ReturnType<typeof pendingChangeColumns>) =>
    sql
      .insertInto('pending_changes')
      .values({
        issuer_id: p.issuer_id,
        detected_at: p.detected_at,
        url: p.url,
        sha256: p.sha256,
        signer_sha1: p.signer_sha1,
        reason: p.reason,
        keys_json: p.keys_json,
        decision: p.decision,
        decided_by: p.decided_by,
        decided_at: p.decided_at,
      })
      .onConflict((oc) =>
        oc.column('issuer_id').doUpdateSet((eb) => ({
          detected_at: eb.ref('excluded.detected_at'),
          url: eb.ref('excluded.url'),
          sha256: eb.ref('excluded.sha256'),
          signer_sha1: eb.ref('excluded.signer_sha1'),
          reason: eb.ref('excluded.reason'),
          keys_json: eb.ref('excluded.keys_json'),
          decision: eb.ref('excluded.decision'),
          decided_by: eb.ref('excluded.decided_by'),
          decided_at: eb.ref('excluded.decided_at'),
        })),
      ),
);

export const decidePendingChangeQuery = prepareQuery(
  (sql: QueryBuilder, p: { issuerId: string; decision: string; actor: string; at: Date }) =>
    sql
      .updateTable('pending_changes')
      .set({ decision: p.decision, decided_by: p.actor, decided_at: p.at })
      .where('issuer_id', '=', p.issuerId)
      .returningAll(),
);
