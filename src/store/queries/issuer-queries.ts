import { sql as raw } from 'kysely';
import type { QueryBuilder } from '../database.js';
import { prepareQuery } from '../prepared-query.js';
import { toJsonColumn } from '../records.js';
import type { IssuerFields } from '../validate-input.js';

/** An issuer's fields as its columns hold them (JSON as text). */
export interface IssuerColumns {
  readonly name: string;
  readonly description: string;
  readonly issuer_uri: string;
  readonly protocols: string;
  readonly metadata_url: string | null;
  readonly login_url: string | null;
  readonly use_for_login: boolean;
  readonly label: string;
  readonly refresh_interval_seconds: number;
  readonly signature_policy: string;
  readonly allow_sha1: boolean;
  readonly allowed_tenants: string;
  readonly discontinuity_policy: string;
  readonly require_signed_assertion: boolean;
  readonly domains: string;
}

const json = (value: unknown): string => toJsonColumn(value) ?? 'null';

export function issuerColumns(fields: IssuerFields): IssuerColumns {
  return {
    name: fields.name,
    description: fields.description,
    issuer_uri: fields.issuerUri,
    protocols: json(fields.protocols),
    metadata_url: fields.metadataUrl,
    login_url: fields.loginUrl,
    use_for_login: fields.useForLogin,
    label: fields.label,
    refresh_interval_seconds: fields.refreshIntervalSeconds,
    signature_policy: json(fields.signaturePolicy),
    allow_sha1: fields.allowSha1,
    allowed_tenants: json(fields.allowedTenants),
    discontinuity_policy: fields.discontinuityPolicy,
    require_signed_assertion: fields.requireSignedAssertion,
    domains: json(fields.domains),
  };
}

/** Every issuer column a write sets from {@link IssuerColumns}, placeholders passed through. */
function issuerValues(p: IssuerColumns): IssuerColumns {
  return {
    name: p.name,
    description: p.description,
    issuer_uri: p.issuer_uri,
    protocols: p.protocols,
    metadata_url: p.metadata_url,
    login_url: p.login_url,
    use_for_login: p.use_for_login,
    label: p.label,
    refresh_interval_seconds: p.refresh_interval_seconds,
    signature_policy: p.signature_policy,
    allow_sha1: p.allow_sha1,
    allowed_tenants: p.allowed_tenants,
    discontinuity_policy: p.discontinuity_policy,
    require_signed_assertion: p.require_signed_assertion,
    domains: p.domains,
  };
}

export const selectIssuersQuery = prepareQuery((sql: QueryBuilder) =>
  sql.selectFrom('issuers').selectAll().orderBy('name'),
);

/** Every issuer's ID, name and label, for the label uniqueness check (no other column read or parsed). */
export const selectIssuerLabelsQuery = prepareQuery((sql: QueryBuilder) =>
  sql.selectFrom('issuers').select(['id', 'name', 'label']),
);

/** By ID or by name; names are never shaped like IDs (see validate-input), so the two cannot collide. */
export const selectIssuerByIdOrNameQuery = prepareQuery((sql: QueryBuilder, p: { key: string }) =>
  sql
    .selectFrom('issuers')
    .selectAll()
    .where((eb) => eb.or([eb('id', '=', p.key), eb('name', '=', p.key)]))
    .orderBy((eb) => eb('id', '=', p.key), 'desc')
    // A literal: SQLite runs `LIMIT ?` bound to 1 at half the speed of `LIMIT 1` (measured).
    .limit(raw.lit(1)),
);

export const selectIssuerQuery = prepareQuery((sql: QueryBuilder, p: { id: string }) =>
  sql.selectFrom('issuers').selectAll().where('id', '=', p.id),
);

/** Whether an issuer exists (its ID, or no row). */
export const selectIssuerIdQuery = prepareQuery((sql: QueryBuilder, p: { id: string }) =>
  sql.selectFrom('issuers').select('id').where('id', '=', p.id),
);

export const insertIssuerQuery = prepareQuery(
  (sql: QueryBuilder, p: IssuerColumns & { readonly id: string; readonly at: Date }) =>
    sql
      .insertInto('issuers')
      .values({ ...issuerValues(p), id: p.id, created_at: p.at, updated_at: p.at, version: 1 })
      .returningAll(),
);

/** Sets every field (the caller merged the patch) and moves the version on. */
export const updateIssuerQuery = prepareQuery(
  (sql: QueryBuilder, p: IssuerColumns & { readonly id: string; readonly at: Date }) =>
    sql
      .updateTable('issuers')
      .set((eb) => ({
        ...issuerValues(p),
        updated_at: p.at,
        version: eb('version', '+', 1).$castTo<number>(),
      }))
      .where('id', '=', p.id)
      .returningAll(),
);

/** Keys, mappings, snapshot, refresh state and pending change go with it (ON DELETE CASCADE). */
export const deleteIssuerQuery = prepareQuery((sql: QueryBuilder, p: { id: string }) =>
  sql.deleteFrom('issuers').where('id', '=', p.id),
);
