import { randomUUID } from 'node:crypto';

import {
  adminAccountAuditView,
  adminAccountFromRow,
  localAdminActor,
  type AdminAccountRow,
} from '../admin-account-records.js';
import type { Actor, AdminAccountRecord, NewAdminAccount } from '../model.js';
import { notFoundError } from '../store-errors.js';
import { normalizeActor, normalizeInstant } from '../validate-input.js';
import {
  adminUsernameKey,
  normalizeAdminUsername,
  normalizeNewAdminAccount,
  normalizePasswordHash,
} from '../validate-admin-input.js';
import { adminAccountRevocation } from '../session-revocations.js';
import { translatePgError } from './postgres-errors.js';
import { insertSessionRevocation, SESSION_CHANGE } from './postgres-session-revocations.js';
import { inTransaction, query, type PostgresContext, type Transaction } from './postgres-transaction.js';

/*
 * Admin account changes are audited in their transaction but not notified
 * (nothing caches accounts, every sign-in reads the row), except the session
 * revocation a password change or a deletion makes (see Store).
 */

export async function listAdminAccounts(context: PostgresContext): Promise<AdminAccountRecord[]> {
  const result = await query<AdminAccountRow>(context, 'SELECT * FROM admin_accounts ORDER BY username');
  return result.rows.map(adminAccountFromRow);
}

export async function getAdminAccount(
  context: PostgresContext,
  username: string,
): Promise<AdminAccountRecord | undefined> {
  const key = adminUsernameKey(username);
  if (key === undefined) return undefined;
  const result = await query<AdminAccountRow>(context, 'SELECT * FROM admin_accounts WHERE username = $1', [
    key,
  ]);
  const row = result.rows[0];
  return row === undefined ? undefined : adminAccountFromRow(row);
}

async function lockAccount(tx: Transaction, key: string): Promise<AdminAccountRecord> {
  const result = await tx.client.query<AdminAccountRow>(
    'SELECT * FROM admin_accounts WHERE username = $1 FOR UPDATE',
    [key],
  );
  const row = result.rows[0];
  if (row === undefined) throw notFoundError('admin account', key, 'username');
  return adminAccountFromRow(row);
}

export async function createAdminAccount(
  context: PostgresContext,
  input: NewAdminAccount,
  actor: Actor,
): Promise<AdminAccountRecord> {
  const fields = normalizeNewAdminAccount(input);
  const who = normalizeActor(actor);
  return inTransaction(context, async (tx) => {
    let row: AdminAccountRow;
    try {
      const result = await tx.client.query<AdminAccountRow>(
        `INSERT INTO admin_accounts (id, username, password_hash, created_at, updated_at, last_login_at)
         VALUES ($1, $2, $3, $4, $4, NULL) RETURNING *`,
        [randomUUID(), fields.username, fields.passwordHash, tx.now],
      );
      row = result.rows[0] as AdminAccountRow;
    } catch (error) {
      // Only the name goes into the error's detail, never the hash.
      throw translatePgError(error, 'admin account', { username: fields.username });
    }
    const account = adminAccountFromRow(row);
    await tx.audit({
      actor: who,
      action: 'admin.created',
      issuerId: null,
      subject: account.username,
      before: null,
      after: adminAccountAuditView(account),
      refresh: null,
    });
    return account;
  });
}

export async function setAdminPassword(
  context: PostgresContext,
  username: string,
  passwordHash: string,
  actor: Actor,
): Promise<AdminAccountRecord> {
  const key = normalizeAdminUsername(username);
  const hash = normalizePasswordHash(passwordHash);
  const who = normalizeActor(actor);
  return inTransaction(context, async (tx) => {
    const before = await lockAccount(tx, key);
    const result = await tx.client.query<AdminAccountRow>(
      'UPDATE admin_accounts SET password_hash = $2, updated_at = $3 WHERE id = $1 RETURNING *',
      [before.id, hash, tx.now],
    );
    // SECURITY: a new password ends the sessions opened with the old one, on every instance.
    await insertSessionRevocation(tx.client, adminAccountRevocation(before.username, tx.now));
    tx.notify(SESSION_CHANGE);
    const after = adminAccountFromRow(result.rows[0] as AdminAccountRow);
    await tx.audit({
      actor: who,
      action: 'admin.password-changed',
      issuerId: null,
      subject: after.username,
      before: adminAccountAuditView(before),
      after: adminAccountAuditView(after),
      refresh: null,
    });
    return after;
  });
}

export async function deleteAdminAccount(
  context: PostgresContext,
  username: string,
  actor: Actor,
): Promise<void> {
  const key = normalizeAdminUsername(username);
  const who = normalizeActor(actor);
  await inTransaction(context, async (tx) => {
    const account = await lockAccount(tx, key);
    await tx.client.query('DELETE FROM admin_accounts WHERE id = $1', [account.id]);
    // SECURITY: a deleted account's sessions end at once, on every instance.
    await insertSessionRevocation(tx.client, adminAccountRevocation(account.username, tx.now));
    tx.notify(SESSION_CHANGE);
    await tx.audit({
      actor: who,
      action: 'admin.deleted',
      issuerId: null,
      subject: account.username,
      before: adminAccountAuditView(account),
      after: null,
      refresh: null,
    });
  });
}

export async function recordAdminLogin(
  context: PostgresContext,
  username: string,
  at: Date,
): Promise<AdminAccountRecord> {
  const key = normalizeAdminUsername(username);
  const when = normalizeInstant('at', at);
  return inTransaction(context, async (tx) => {
    const before = await lockAccount(tx, key);
    const result = await tx.client.query<AdminAccountRow>(
      'UPDATE admin_accounts SET last_login_at = $2 WHERE id = $1 RETURNING *',
      [before.id, when],
    );
    const after = adminAccountFromRow(result.rows[0] as AdminAccountRow);
    await tx.audit({
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
  });
}
