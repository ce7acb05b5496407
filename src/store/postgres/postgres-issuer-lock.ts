/**
 * The issuer row lock every change to an issuer or its keys takes first, in
 * a module of its own: the issuers', keys', refresh and pending-change
 * modules all call it, and none of them needs the others for it.
 */
import type { QueryBuilder } from '../database.js';
import type { IssuerRecord } from '../model.js';
import { prepareQuery } from '../prepared-query.js';
import { issuerFromRow } from '../records.js';
import { notFoundError } from '../store-errors.js';
import type { Transaction } from './postgres-transaction.js';

/** An issuer's row, locked until the transaction ends (PostgreSQL's row locks; SQLite has one writer). */
const lockIssuerQuery = prepareQuery((db: QueryBuilder, p: { id: string }) =>
  db.selectFrom('issuers').selectAll().where('id', '=', p.id).forUpdate(),
);

/**
 * Reads an issuer by ID and locks its row until the transaction ends, so that
 * concurrent changes to one issuer (and its keys) are applied one at a time.
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND`.
 */
export async function lockIssuer(tx: Transaction, id: string): Promise<IssuerRecord> {
  const row = await tx.first(lockIssuerQuery.bind(tx.sql, { id }));
  if (row === undefined) throw notFoundError('issuer', id);
  return issuerFromRow(row);
}
