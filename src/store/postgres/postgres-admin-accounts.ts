import { randomUUID } from 'node:crypto';

import { adminAccountAuditView, adminAccountFromRow, localAdminActor } from '../admin-account-records.js';
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
import {
  deleteAdminAccountQuery,
  insertAdminAccountQuery,
  listAdminAccountsQuery,
  recordAdminLoginQuery,
  selectAdminAccountQuery,
  setAdminPasswordQuery,
} from '../queries/admin-account-queries.js';
import {
  inTransaction,
  selectFirst,
  selectRows,
  writeRow,
  type PostgresContext,
  type Transaction,
} from './postgres-transaction.js';

/*
 * Admin account changes are audited in their transaction but not notified
 * (nothing caches accounts, every sign-in reads the row), except the session
 * revocation a password change or a deletion makes (see Store).
 */

export async function listAdminAccounts(context: PostgresContext): Promise<AdminAccountRecord[]> {
  const rows = await selectRows(context, listAdminAccountsQuery.bind(context.sql, {}));
  return rows.map(adminAccountFromRow);
}

export async function getAdminAccount(
  context: PostgresContext,
  username: string,
): Promise<AdminAccountRecord | undefined> {
  const key = adminUsernameKey(username);
  if (key === undefined) return undefined;
  const row = await selectFirst(context, selectAdminAccountQuery.bind(context.sql, { username: key }));
  return row === undefined ? undefined : adminAccountFromRow(row);
}

async function lockAccount(tx: Transaction, key: string): Promise<AdminAccountRecord> {
  const row = await tx.first(
    tx.sql.selectFrom('admin_accounts').selectAll().where('username', '=', key).forUpdate().compile(),
  );
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
    const row = await writeRow(
      tx,
      insertAdminAccountQuery.bind(tx.sql, {
        id: randomUUID(),
        username: fields.username,
        passwordHash: fields.passwordHash,
        at: tx.now,
      }),
      // Only the name goes into the error's detail, never the hash.
      (error) => translatePgError(error, 'admin account', { username: fields.username }),
    );
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
    const row = await writeRow(
      tx,
      setAdminPasswordQuery.bind(tx.sql, { id: before.id, passwordHash: hash, at: tx.now }),
      (error) => error,
    );
    // SECURITY: a new password ends the sessions opened with the old one, on every instance.
    await insertSessionRevocation(tx, adminAccountRevocation(before.username, tx.now));
    tx.notify(SESSION_CHANGE);
    const after = adminAccountFromRow(row);
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
    await tx.run(deleteAdminAccountQuery.bind(tx.sql, { id: account.id }));
    // SECURITY: a deleted account's sessions end at once, on every instance.
    await insertSessionRevocation(tx, adminAccountRevocation(account.username, tx.now));
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
    const row = await writeRow(
      tx,
      recordAdminLoginQuery.bind(tx.sql, { id: before.id, at: when }),
      (error) => error,
    );
    const after = adminAccountFromRow(row);
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
