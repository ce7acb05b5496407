/**
 * The admin site in a browser, driven as an operator drives it: a local
 * admin account created in the store, the login page filled by its labels,
 * and the pages read by their roles — the page's one `<h1>`, the
 * `role="status"` message after a change, the navigation, captioned tables.
 * Used by test/browser/admin-*.test.ts on top of test/helpers/browser.ts
 * and a live gateway (test/helpers/live-gateway.ts).
 */
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { hashPassword } from '../../src/management/account-passwords.js';
import type { Store } from '../../src/store/store.js';
import { navigateBy } from './browser.js';
import { SETUP_ACTOR } from './live-gateway.js';

/** The local admin account's user name. */
export const ADMIN_USERNAME = 'alice';
/** Its password (long enough for the account rules). */
export const ADMIN_PASSWORD = 'correct horse battery staple';
/** The audit actor of everything the admin does on the site. */
export const ADMIN_ACTOR = `admin:local:${ADMIN_USERNAME}`;
/** The `<h1>` of the login page. */
export const LOGIN_TITLE = 'Sign in to the claimsgate admin site';

/**
 * Creates the local admin account {@link ADMIN_USERNAME} in `store`, as
 * `claimsgate admin create` does; call it from `startLiveGateway`'s `setup`.
 */
export async function createAdminAccount(store: Store): Promise<void> {
  await store.createAdminAccount(
    { username: ADMIN_USERNAME, passwordHash: await hashPassword(ADMIN_PASSWORD) },
    SETUP_ACTOR,
  );
}

/** The path and query of the page's URL. */
export function pathOf(page: Page): string {
  const url = new URL(page.url());
  return `${url.pathname}${url.search}`;
}

/** The page's one `<h1>`. */
export function heading(page: Page): Locator {
  return page.getByRole('heading', { level: 1 });
}

/** The text of the one-line message after a change (the `role="status"` region). */
export function flashText(page: Page): Promise<string> {
  return page.getByRole('status').innerText();
}

/** The admin navigation's link to a section (`Issuers`, `Audit log`, `Health`…). */
export function adminNavLink(page: Page, name: string): Locator {
  return page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name, exact: true });
}

/** The rows of `table` that hold `text`. */
export function rowWith(table: Locator, text: string): Locator {
  return table.getByRole('row').filter({ hasText: text });
}

/**
 * Opens `path` (under `/admin`) signed out, expects the login page with
 * `path` as its return URL, fills the labelled fields, presses **Sign in**,
 * and expects to land back on `path`.
 *
 * @throws AssertionError when the page is not sent to the login page or the sign-in lands elsewhere.
 */
export async function signInAdmin(page: Page, gatewayUrl: string, path: string): Promise<void> {
  await page.goto(`${gatewayUrl}${path}`);
  const login = new URL(page.url());
  assert.equal(login.pathname, '/admin/login', `${path} did not send to the login page`);
  assert.equal(login.searchParams.get('returnUrl'), path);
  await page.getByLabel('User name').fill(ADMIN_USERNAME);
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await navigateBy(page, () => page.getByRole('button', { name: 'Sign in' }).click());
  assert.equal(pathOf(page), path, `signed in but landed on ${page.url()}`);
}

/**
 * Opens the audit log from the navigation, filters it by issuer (chosen by
 * its label in the select) and action with the filter form, checks that the
 * filters went into the address, and returns the entries table.
 */
export async function filterAuditLog(page: Page, issuer: string, action: string): Promise<Locator> {
  await navigateBy(page, () => adminNavLink(page, 'Audit log').click());
  const filters = page.getByRole('form', { name: 'Filter the audit log' });
  await filters.getByLabel('Issuer', { exact: true }).selectOption({ label: issuer });
  await filters.getByLabel('Action', { exact: true }).fill(action);
  await navigateBy(page, () => filters.getByRole('button', { name: 'Filter' }).click());
  const query = new URL(page.url()).searchParams;
  assert.equal(query.get('issuer'), issuer, 'the filters are in the address');
  assert.equal(query.get('action'), action);
  return page.getByRole('table', { name: /^Audit log entries/ });
}
