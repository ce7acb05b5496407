import { randomUUID } from 'node:crypto';
import {
  adminAccountAuditView,
  adminAccountFromRow,
  localAdminActor,
  type AdminAccountRow,
} from '../admin-account-records.js';
import type { Actor, AdminAccountRecord, NewAdminAccount } from '../model.js';
import { toDateColumn } from '../records.js';
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
  return (ctx.prepare('SELECT * FROM admin_accounts ORDER BY username').all() as AdminAccountRow[]).map(
    adminAccountFromRow,
  );
}

function findByKey(ctx: SqliteContext, key: string): AdminAccountRecord | undefined {
  const row = ctx.prepare('SELECT * FROM admin_accounts WHERE username = ?').get(key) as
    AdminAccountRow | undefined;
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
  const id = randomUUID();
  const at = ctx.now();
  try {
    ctx
      .prepare(
        `INSERT INTO admin_accounts (id, username, password_hash, created_at, updated_at, last_login_at)
         VALUES (@id, @username, @password_hash, @at, @at, NULL)`,
      )
      .run({ id, username: fields.username, password_hash: fields.passwordHash, at: toDateColumn(at) });
  } catch (error) {
    // Only the name goes into the error's detail, never the hash.
    throw mapSqliteConstraintError(error, 'admin account', { username: fields.username });
  }
  const account = requireAccount(ctx, fields.username);
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
  ctx
    .prepare('UPDATE admin_accounts SET password_hash = ?, updated_at = ? WHERE id = ?')
    .run(hash, toDateColumn(at), before.id);
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
  ctx.prepare('DELETE FROM admin_accounts WHERE id = ?').run(account.id);
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
  ctx.prepare('UPDATE admin_accounts SET last_login_at = ? WHERE id = ?').run(toDateColumn(when), before.id);
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
