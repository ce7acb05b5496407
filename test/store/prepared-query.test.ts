import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { QueryBuilder } from '../../src/store/database.js';
import { createPostgresQueryBuilder } from '../../src/store/postgres/postgres-query-builder.js';
import { prepareQuery } from '../../src/store/prepared-query.js';
import { createSqliteQueryBuilder } from '../../src/store/sqlite/sqlite-query-builder.js';

const lookup = prepareQuery((sql: QueryBuilder, p: { issuerId: string; state: string; since: Date }) =>
  sql
    .selectFrom('keys')
    .selectAll()
    .where('issuer_id', '=', p.issuerId)
    .where('state', '<>', p.state)
    .where('kid', '=', 'constant-kid')
    .where('first_seen_at', '>=', p.since)
    .orderBy('id'),
);

describe('prepared queries', () => {
  it("binds each call's values where the query names them, and keeps the query's own constants", () => {
    const sqlite = createSqliteQueryBuilder();
    const since = new Date('2026-03-01T09:00:00.000Z');
    const bound = lookup.bind(sqlite, { issuerId: 'issuer-1', state: 'revoked', since });
    assert.equal(
      bound.sql,
      'select * from "keys" where "issuer_id" = ? and "state" <> ? and "kid" = ? and "first_seen_at" >= ? order by "id"',
    );
    assert.deepEqual(bound.parameters, ['issuer-1', 'revoked', 'constant-kid', since]);
    const again = lookup.bind(sqlite, { issuerId: 'issuer-2', state: 'active', since });
    assert.equal(again.sql, bound.sql);
    assert.deepEqual(again.parameters, ['issuer-2', 'active', 'constant-kid', since]);
  });

  it("compiles the query in each builder's own dialect", () => {
    const since = new Date('2026-03-01T09:00:00.000Z');
    const postgres = lookup.bind(createPostgresQueryBuilder(), { issuerId: 'a', state: 'b', since });
    const sqlite = lookup.bind(createSqliteQueryBuilder(), { issuerId: 'a', state: 'b', since });
    assert.match(
      postgres.sql,
      /"issuer_id" = \$1 and "state" <> \$2 and "kid" = \$3 and "first_seen_at" >= \$4/,
    );
    assert.doesNotMatch(sqlite.sql, /\$\d/);
    assert.deepEqual(postgres.parameters, sqlite.parameters);
  });

  it('binds a value that looks like a placeholder as the plain value it is', () => {
    const bound = lookup.bind(createSqliteQueryBuilder(), {
      issuerId: '\u0000claimsgate-parameter:state',
      state: 'x',
      since: new Date(0),
    });
    assert.deepEqual(bound.parameters.slice(0, 2), ['\u0000claimsgate-parameter:state', 'x']);
  });
});
