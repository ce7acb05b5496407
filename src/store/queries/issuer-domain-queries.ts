import type { QueryBuilder } from '../database.js';
import { prepareQuery } from '../prepared-query.js';

/*
 * The issuer_domains index (database.ts): one row per e-mail domain, whose
 * primary key gives a domain to one issuer at most. The list on the issuer
 * row (`issuers.domains`) is what records show; these rows are what the
 * sign-in page reads and what refuses a second claim.
 */

/**
 * The issuer holding `domain`: a primary-key read of issuer_domains, then
 * one of issuers. Written as a scalar subquery so that neither database may
 * choose to scan the issuers instead, whatever its statistics say.
 */
export const selectIssuerByDomainQuery = prepareQuery((sql: QueryBuilder, p: { domain: string }) =>
  sql
    .selectFrom('issuers')
    .selectAll()
    .where((eb) =>
      eb(
        'id',
        '=',
        eb.selectFrom('issuer_domains').select('issuer_domains.issuer_id').where('domain', '=', p.domain),
      ),
    ),
);

/** Frees every domain of an issuer (before its new list is written). */
export const deleteIssuerDomainsQuery = prepareQuery((sql: QueryBuilder, p: { issuerId: string }) =>
  sql.deleteFrom('issuer_domains').where('issuer_id', '=', p.issuerId),
);

/**
 * Claims one domain for an issuer; returns the domain when it was free, no
 * row when another issuer holds it. Not an error inside the transaction, so
 * the caller can still name the holder (PostgreSQL aborts a transaction on a
 * unique violation); a concurrent claim waits for the other transaction and
 * then finds the domain taken.
 */
export const claimIssuerDomainQuery = prepareQuery(
  (sql: QueryBuilder, p: { domain: string; issuerId: string }) =>
    sql
      .insertInto('issuer_domains')
      .values({ domain: p.domain, issuer_id: p.issuerId })
      .onConflict((conflict) => conflict.column('domain').doNothing())
      .returning('domain'),
);
