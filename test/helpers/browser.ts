/**
 * Browser tests in Debian's Chromium through playwright-core: one launch per
 * suite (never a browser download), a fresh context (no cookies, no storage)
 * per page, every wait bounded, screenshots under test-results/screenshots/,
 * and the simulator's user picker driven the same way for every protocol.
 *
 * A flow is a few lines on top of this and test/helpers/live-gateway.ts:
 *
 *     describeInBrowser('SAML sign-in', (suite) => {
 *       let gateway: LiveGateway;
 *       before(async () => (gateway = await startLiveGateway()));
 *       after(() => gateway.close());
 *       suite.it('signs alice in', async (page) => {
 *         await signInAs(page, `${gateway.gatewayUrl}/`, 'alice');
 *         await expectSignedInAs(page, 'SIM:alice@contoso.test');
 *       });
 *     });
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Page,
  type Request as BrowserRequest,
} from 'playwright-core';
import { describeWithService, type ServiceGate } from './service-gate.js';

/** Where Debian's `chromium` package installs the browser; the only one these tests run. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** The command line every launch uses: headless, no sandbox (containers), no traffic of its own. */
export const CHROMIUM_ARGS: readonly string[] = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
]);

/** The bound of one step: a navigation, a click, a wait for an element. */
export const STEP_TIMEOUT_MS = 5_000;
/** The bound of starting the browser. */
export const LAUNCH_TIMEOUT_MS = 20_000;
/** The default bound of one whole browser test. */
export const TEST_TIMEOUT_MS = 30_000;

/** Where {@link screenshot} writes: `test-results/screenshots/` at the repository root (gitignored). */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));

const SCREENSHOT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/**
 * Why the browser tests cannot run here, or undefined when they can: the
 * reason names the package to install.
 */
export function browserSkipReason(executablePath = CHROMIUM_PATH): string | undefined {
  return existsSync(executablePath)
    ? undefined
    : `Debian's chromium is not installed: apt-get install -y chromium (no ${executablePath})`;
}

/**
 * Launches Debian's Chromium with {@link CHROMIUM_ARGS} and Playwright's
 * default temporary profile, so every run starts from an empty user-data
 * directory that is deleted when the browser closes.
 *
 * @throws Error when chromium is missing or does not start within {@link LAUNCH_TIMEOUT_MS}.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS],
    timeout: LAUNCH_TIMEOUT_MS,
  });
}

function isLoopbackUrl(url: URL): boolean {
  return (
    url.hostname === '127.0.0.1' ||
    url.hostname === '[::1]' ||
    url.hostname === 'localhost' ||
    url.protocol === 'about:' ||
    url.protocol === 'data:'
  );
}

/**
 * Opens a page in a new browser context: no cookies, no storage, every step
 * bounded by {@link STEP_TIMEOUT_MS}, and any request beyond loopback refused
 * (the tests use no network but their own servers). Close the context when done.
 */
export async function openPage(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  await context.route(
    (url) => !isLoopbackUrl(url),
    (route) => route.abort('blockedbyclient'),
  );
  const page = await context.newPage();
  return { context, page };
}

/**
 * Saves a full-page PNG of `page` as `test-results/screenshots/<name>.png`
 * (the folder is created) and returns its path.
 *
 * @throws TypeError when `name` is not 1–100 letters, digits, `.`, `_` or `-`.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  if (!SCREENSHOT_NAME.test(name)) {
    throw new TypeError(`screenshot name must be 1-100 letters, digits, ".", "_" or "-"; got ${name}`);
  }
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true, timeout: STEP_TIMEOUT_MS });
  return path;
}

/** What a browser suite's tests use. */
export interface BrowserSuite {
  /** The suite's browser, launched before its first test. */
  readonly browser: Browser;
  /**
   * A page in a fresh context (no cookies: a real sign-in every time),
   * closed when the current test ends.
   */
  newPage(): Promise<Page>;
  /**
   * A test that gets a fresh page; when it fails, the last page opened is
   * saved as `failed-<title>.png` and the path reported as a diagnostic.
   */
  it(
    title: string,
    body: (page: Page, t: TestContext) => Promise<void>,
    options?: { timeoutMs?: number },
  ): void;
}

function slug(title: string): string {
  return (
    title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 80) || 'test'
  );
}

/**
 * Declares a suite that runs in Debian's Chromium. Without
 * /usr/bin/chromium the suite is skipped with the reason, or — when
 * CLAIMSGATE_REQUIRE_BROWSER=1 (CI) — fails with it. The browser is launched
 * once for the suite and closed after it; contexts opened by a test are
 * closed when the test ends, whatever its outcome.
 */
export function describeInBrowser(title: string, body: (suite: BrowserSuite) => void): void {
  const gate: ServiceGate = {
    service: "Debian's chromium",
    skipReason: browserSkipReason(),
    requiredBy: 'CLAIMSGATE_REQUIRE_BROWSER',
  };
  describeWithService(title, gate, () => describeBrowserSuite(title, body));
}

function describeBrowserSuite(title: string, body: (suite: BrowserSuite) => void): void {
  describe(title, () => {
    let launched: Browser | undefined;
    const open = new Set<BrowserContext>();
    let lastPage: Page | undefined;

    const browser = (): Browser => {
      if (launched === undefined) throw new Error('the browser is not launched yet: use it inside a test');
      return launched;
    };
    const closeContexts = async (): Promise<void> => {
      const contexts = [...open];
      open.clear();
      lastPage = undefined;
      await Promise.allSettled(contexts.map((context) => context.close()));
    };

    before(
      async () => {
        launched = await launchBrowser();
      },
      { timeout: LAUNCH_TIMEOUT_MS + STEP_TIMEOUT_MS },
    );
    after(
      async () => {
        await closeContexts();
        await launched?.close();
      },
      { timeout: LAUNCH_TIMEOUT_MS },
    );

    const suite: BrowserSuite = {
      get browser() {
        return browser();
      },
      async newPage() {
        const { context, page } = await openPage(browser());
        open.add(context);
        lastPage = page;
        return page;
      },
      it(testTitle, testBody, options = {}) {
        it(testTitle, { timeout: options.timeoutMs ?? TEST_TIMEOUT_MS }, async (t) => {
          try {
            await testBody(await suite.newPage(), t);
          } catch (error) {
            if (lastPage !== undefined) {
              const saved = await screenshot(lastPage, `failed-${slug(testTitle)}`).catch(() => undefined);
              if (saved !== undefined) t.diagnostic(`screenshot of the failing page: ${saved}`);
            }
            throw error;
          } finally {
            await closeContexts();
          }
        });
      },
    };
    body(suite);
  });
}

/** One request that navigated a page's main frame, as the browser sent it. */
export interface Navigation {
  readonly method: string;
  readonly url: URL;
  /** The fields of a form POST (`application/x-www-form-urlencoded`); empty for anything else. */
  readonly form: URLSearchParams;
  /** The URL whose redirect (3xx) the browser followed to make this request, if any. */
  readonly redirectedFrom: URL | undefined;
  /** Playwright's request, for its response (`await navigation.request.response()`). */
  readonly request: BrowserRequest;
}

/**
 * Records, from now on and in order, every request that navigates `page`'s
 * main frame — each hop of a redirect chain and every form POST — so a test
 * can check which binding carried a protocol message (a query string behind
 * a redirect, or a posted form) and what the browser really sent.
 */
export function recordNavigations(page: Page): readonly Navigation[] {
  const navigations: Navigation[] = [];
  page.on('request', (request) => {
    if (!request.isNavigationRequest() || request.frame() !== page.mainFrame()) return;
    const isForm = (request.headers()['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    const from = request.redirectedFrom();
    navigations.push({
      method: request.method(),
      url: new URL(request.url()),
      form: new URLSearchParams(isForm ? (request.postData() ?? '') : ''),
      redirectedFrom: from === null ? undefined : new URL(from.url()),
      request,
    });
  });
  return navigations;
}

/**
 * The one recorded navigation of `method` to `url` (compared without the
 * query string).
 *
 * @throws AssertionError naming every navigation when there is none or more than one.
 */
export function findNavigation(navigations: readonly Navigation[], method: string, url: string): Navigation {
  const found = navigations.filter(
    (navigation) =>
      navigation.method === method && `${navigation.url.origin}${navigation.url.pathname}` === url,
  );
  const seen = navigations.map((navigation) => `${navigation.method} ${navigation.url.href}`);
  assert.equal(found.length, 1, `expected one ${method} ${url}; the browser went:\n${seen.join('\n')}`);
  return found[0]!;
}

/**
 * Opens `startUrl` (a gateway page that needs a signed-in user), expects to
 * be sent to the IdP simulator's user picker on another origin, picks
 * `user`, and waits until the browser is back on the start URL's origin —
 * the flow every protocol the simulator speaks shares (WS-Federation, SAML
 * 2.0, OpenID Connect). Returns the URL of the picker and of the page the
 * browser landed on; the landing page's content is the caller's to check.
 *
 * @throws AssertionError when the browser was not sent to a picker offering `user`.
 */
export async function signInAs(
  page: Page,
  startUrl: string,
  user: string,
): Promise<{ picker: URL; landed: URL }> {
  const origin = new URL(startUrl).origin;
  await page.goto(startUrl);
  const picker = new URL(page.url());
  assert.notEqual(
    picker.origin,
    origin,
    `expected to be sent to the identity provider, but stayed at ${page.url()}`,
  );
  const button = page.locator(`button[name="user"][value="${user}"]`);
  await button.waitFor({ state: 'visible' });
  await Promise.all([page.waitForURL((url) => url.origin === origin, { waitUntil: 'load' }), button.click()]);
  return { picker, landed: new URL(page.url()) };
}

/**
 * Asserts the gateway's sample page shows `identity` as the signed-in user
 * (for example `SIM:alice@contoso.test`); the message carries the page's
 * text, so an error page's code is in the failure.
 */
export async function expectSignedInAs(page: Page, identity: string): Promise<void> {
  const text = await page.locator('main').innerText();
  assert.ok(
    text.includes(`Signed in as ${identity} through`),
    `expected the sample page for ${identity} at ${page.url()}; the page says:\n${text.slice(0, 2000)}`,
  );
}

/** The claims table of the gateway's sample page: claim type → values. */
export async function readClaimsTable(page: Page): Promise<Record<string, string[]>> {
  const rows = await page.locator('table tbody tr').evaluateAll((elements) =>
    elements.map((row) => ({
      type: row.querySelector('th')?.textContent ?? '',
      values: row.querySelector<HTMLElement>('td')?.innerText.split('\n') ?? [],
    })),
  );
  return Object.fromEntries(rows.map((row) => [row.type, row.values]));
}

/**
 * Runs `action` (a click on a link or a submit button, a key press in a
 * form) and waits, at most {@link STEP_TIMEOUT_MS}, until the document it
 * navigates to has loaded — after every redirect, so a form that posts and
 * is answered with a 303 to the same URL is waited for too (`waitForURL`
 * would return at once there). Returns the URL the page landed on.
 *
 * @throws Error (Playwright's timeout) when no new document loads in time.
 */
export async function navigateBy(page: Page, action: () => Promise<void>): Promise<URL> {
  await Promise.all([page.waitForEvent('load', { timeout: STEP_TIMEOUT_MS }), action()]);
  return new URL(page.url());
}
