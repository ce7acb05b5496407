import { randomUUID } from 'node:crypto';
import {
  adminAccountAuditView,
  adminAccountFromRow,
  localAdminActor,
  type AdminAccountRow,
} from '../admin-account-records.js';
import type { Actor, AdminAccountRecord, NewAdminAccount } from '../model.js';
import {
  deleteAdminAccountQuery,
  insertAdminAccountQuery,
  listAdminAccountsQuery,
  recordAdminLoginQuery,
  selectAdminAccountQuery,
  setAdminPasswordQuery,
} from '../queries/admin-account-queries.js';
import { notFoundError } from '../store-errors.js';
import { normalizeActor, normalizeInstant } from '../validate-input.js';
import {
  adminUsernameKey,
  normalizeAdminUsername,
  normalizeNewAdminAccount,
  normalizePasswordHash,
} from '../validate-admin-input.js';
import { adminAccountRevocation } from '../session-revocations.js';
import { mapSqliteConstraintError } from './sqlite-constraint-errors.js';
import type { SqliteContext } from './sqlite-context.js';
import { insertSessionRevocation } from './sqlite-session-revocations.js';

export function listAdminAccounts(ctx: SqliteContext): AdminAccountRecord[] {
  return ctx.all(listAdminAccountsQuery.bind(ctx.sql, {})).map(adminAccountFromRow);
}

function findByKey(ctx: SqliteContext, key: string): AdminAccountRecord | undefined {
  const row = ctx.first(selectAdminAccountQuery.bind(ctx.sql, { username: key }));
  return row === undefined ? undefined : adminAccountFromRow(row);
}

export function findAdminAccount(ctx: SqliteContext, username: string): AdminAccountRecord | undefined {
  const key = adminUsernameKey(username);
  return key === undefined ? undefined : findByKey(ctx, key);
}

function requireAccount(ctx: SqliteContext, key: string): AdminAccountRecord {
  const account = findByKey(ctx, key);
  if (account === undefined) throw notFoundError('admin account', key, 'username');
  return account;
}

export function createAdminAccount(
  ctx: SqliteContext,
  input: NewAdminAccount,
  actor: Actor,
): AdminAccountRecord {
  const who = normalizeActor(actor);
  const fields = normalizeNewAdminAccount(input);
  const at = ctx.now();
  let row: AdminAccountRow | undefined;
  try {
    row = ctx.first(
      insertAdminAccountQuery.bind(ctx.sql, {
        id: randomUUID(),
        username: fields.username,
        passwordHash: fields.passwordHash,
        at,
      }),
    );
  } catch (error) {
    // Only the name goes into the error's detail, never the hash.
    throw mapSqliteConstraintError(error, 'admin account', { username: fields.username });
  }
  if (row === undefined) throw new Error('INSERT … RETURNING returned no row');
  const account = adminAccountFromRow(row);
  ctx.audit({
    at,
    actor: who,
    action: 'admin.created',
    issuerId: null,
    subject: account.username,
    before: null,
    after: adminAccountAuditView(account),
    refresh: null,
  });
  return account;
}

export function setAdminPassword(
  ctx: SqliteContext,
  username: string,
  passwordHash: string,
  actor: Actor,
): AdminAccountRecord {
  const who = normalizeActor(actor);
  const key = normalizeAdminUsername(username);
  const hash = normalizePasswordHash(passwordHash);
  const before = requireAccount(ctx, key);
  const at = ctx.now();
  ctx.run(setAdminPasswordQuery.bind(ctx.sql, { id: before.id, passwordHash: hash, at }));
  // SECURITY: a new password ends the sessions opened with the old one, on every instance.
  insertSessionRevocation(ctx, adminAccountRevocation(before.username, at));
  const after = requireAccount(ctx, key);
  ctx.audit({
    at,
    actor: who,
    action: 'admin.password-changed',
    issuerId: null,
    subject: after.username,
    before: adminAccountAuditView(before),
    after: adminAccountAuditView(after),
    refresh: null,
  });
  return after;
}

export function deleteAdminAccount(ctx: SqliteContext, username: string, actor: Actor): void {
  const who = normalizeActor(actor);
  const account = requireAccount(ctx, normalizeAdminUsername(username));
  ctx.run(deleteAdminAccountQuery.bind(ctx.sql, { id: account.id }));
  const at = ctx.now();
  // SECURITY: a deleted account's sessions end at once, on every instance.
  insertSessionRevocation(ctx, adminAccountRevocation(account.username, at));
  ctx.audit({
    at,
    actor: who,
    action: 'admin.deleted',
    issuerId: null,
    subject: account.username,
    before: adminAccountAuditView(account),
    after: null,
    refresh: null,
  });
}

export function recordAdminLogin(ctx: SqliteContext, username: string, at: Date): AdminAccountRecord {
  const key = normalizeAdminUsername(username);
  const when = normalizeInstant('at', at);
  const before = requireAccount(ctx, key);
  ctx.run(recordAdminLoginQuery.bind(ctx.sql, { id: before.id, at: when }));
  const after = requireAccount(ctx, key);
  ctx.audit({
    at: when,
    actor: localAdminActor(after.username),
    action: 'admin.login',
    issuerId: null,
    subject: after.username,
    before: null,
    after: adminAccountAuditView(after),
    refresh: null,
  });
  return after;
}
