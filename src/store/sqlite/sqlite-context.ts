import type { Database, Statement } from 'better-sqlite3';
import type { AuditEntry, NewAuditEntry } from '../model.js';
import { auditFromRow, type AuditRow } from '../records.js';
import { auditParams } from './sqlite-params.js';

/** What the SQLite entity modules share: the connection, the clock, cached statements and the audit writer. */
export interface SqliteContext {
  readonly db: Database;
  readonly now: () => Date;
  /** A prepared statement, cached by its SQL text. */
  prepare(sql: string): Statement;
  /** Appends an audit entry; call inside the transaction of the change it tells about. */
  audit(entry: NewAuditEntry & { readonly at: Date }): AuditEntry;
}

export function createSqliteContext(db: Database, now: () => Date): SqliteContext {
  const statements = new Map<string, Statement>();
  const prepare = (sql: string): Statement => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  return {
    db,
    now,
    prepare,
    audit(entry) {
      const row = prepare(
        `INSERT INTO audit_log (at, actor, action, issuer_id, subject, before_json, after_json, refresh_json)
         VALUES (@at, @actor, @action, @issuer_id, @subject, @before_json, @after_json, @refresh_json)
         RETURNING *`,
      ).get(auditParams(entry)) as AuditRow;
      return auditFromRow(row);
    },
  };
}
