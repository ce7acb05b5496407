import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { loadConfig } from '../../src/config/load-config.js';
import { createIdpSimulator, DEFAULT_TENANT, type IdpSimulator } from '../../src/idp-sim/idp-sim-server.js';
import { CLAIM_TYPES } from '../../src/idp-sim/user-claims.js';
import { createRolloverEngine, type RolloverEngine } from '../../src/rollover/rollover-engine.js';
import { createGatewayServer } from '../../src/server/create-gateway-server.js';
import type { IssuerRecord } from '../../src/store/model.js';
import { createSealingKeyRing } from '../../src/session/sealing-keys.js';
import { SECURE_SIGN_IN_BINDING_COOKIE, SIGN_IN_BINDING_COOKIE } from '../../src/session/sign-in-binding.js';
import { createSessionCookies, type NewSession } from '../../src/session/session-cookie.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { readForm } from '../idp-sim/sim-helpers.js';

export { readForm };

export const PUBLIC_URL = 'http://127.0.0.1:8787';
export const START = new Date('2026-03-02T09:30:00Z');

/** A gateway wired to a real, listening IdP simulator registered as issuer `sim`. */
export interface GatewayFixture {
  readonly app: FastifyInstance;
  readonly sim: IdpSimulator;
  readonly store: Store;
  readonly engine: RolloverEngine;
  readonly issuer: IssuerRecord;
  /** The gateway's configuration (its session keys let a test seal a session cookie). */
  readonly config: ReturnType<typeof loadConfig>['config'];
  /** The shared clock. */
  readonly now: () => Date;
  /** Moves the shared clock forward. */
  advance(seconds: number): void;
  close(): Promise<void>;
}

/** Starts the simulator on 127.0.0.1:0, opens a temporary SQLite store and builds the gateway. */
export async function createGatewayFixture(
  options: { realm?: boolean; flags?: Record<string, unknown>; secondTenant?: string } = {},
): Promise<GatewayFixture> {
  let current = START.getTime();
  const now = (): Date => new Date(current);
  const directory = mkdtempSync(join(tmpdir(), 'claimsgate-server-'));
  const sim = await createIdpSimulator({
    port: 0,
    now,
    ...(options.secondTenant === undefined ? {} : { tenants: [DEFAULT_TENANT, options.secondTenant] }),
  });
  await sim.start();
  const store = await openStore(join(directory, 'store.db'), { now });
  const urls = sim.tenantUrls();
  const issuer = await store.createIssuer(
    {
      name: 'sim',
      issuerUri: urls.entityId,
      metadataUrl: urls.federationMetadata,
      loginUrl: urls.wsfed,
      useForLogin: true,
      label: 'SIMISSUER',
    },
    'test',
  );
  if (options.realm !== false) {
    await store.createRealm({ realmUri: PUBLIC_URL, replyUrl: `${PUBLIC_URL}/signin/wsfed` }, 'test');
  }
  await store.createClaimMapping(
    { issuerId: issuer.id, label: 'SIM', nameClaim: CLAIM_TYPES.upn, groupClaim: CLAIM_TYPES.groups },
    'test',
  );
  const engine = createRolloverEngine({ store, now });
  await engine.refreshIssuer('sim', { force: true });
  if (options.secondTenant !== undefined) {
    const second = sim.tenantUrls(options.secondTenant);
    await store.createIssuer(
      {
        name: 'sim2',
        issuerUri: second.entityId,
        metadataUrl: second.federationMetadata,
        loginUrl: second.wsfed,
        useForLogin: true,
      },
      'test',
    );
    await engine.refreshIssuer('sim2', { force: true });
  }
  await engine.reload();
  const { config } = loadConfig({
    env: {},
    flags: { mode: 'development', 'server.port': 8787, ...options.flags },
  });
  const app = createGatewayServer({ config, store, engine, now });
  return {
    app,
    sim,
    store,
    engine,
    issuer,
    config,
    now,
    advance(seconds: number): void {
      current += seconds * 1000;
    },
    async close(): Promise<void> {
      await app.close();
      await engine.stop();
      await store.close();
      await sim.stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** A session cookie (`name=value`) sealed with the fixture gateway's own keys and clock. */
export function sessionCookie(fixture: Pick<GatewayFixture, 'config' | 'now'>, session: NewSession): string {
  const { config } = fixture;
  const cookies = createSessionCookies({
    ring: createSealingKeyRing(config.session.keys),
    cookieName: config.session.cookieName,
    absoluteLifetimeSeconds: config.session.absoluteLifetimeSeconds,
    idleTimeoutSeconds: config.session.idleTimeoutSeconds,
    renewAfterSeconds: config.session.renewAfterSeconds,
    secure: config.session.secureCookies,
    now: fixture.now,
  });
  const cookie = cookies.issue(session);
  return `${cookie.name}=${cookie.value}`;
}

/** The `name=value` part of the response's Set-Cookie for `name`, or undefined. */
export function setCookieOf(response: LightMyRequestResponse, name: string): string | undefined {
  const header = response.headers['set-cookie'];
  const lines = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return lines.find((line) => line.startsWith(`${name}=`));
}

/** The cookie pair (`name=value`) to send back, from a Set-Cookie line. */
export function cookiePair(setCookie: string): string {
  return setCookie.split(';')[0]!;
}

/**
 * The sign-in binding cookie pair (`name=value`) that a `GET /signin` answer
 * set: a browser sends it back with the identity provider's answer.
 *
 * @throws Error when the answer set none.
 */
export function bindingCookieOf(response: LightMyRequestResponse): string {
  const line =
    setCookieOf(response, SIGN_IN_BINDING_COOKIE) ?? setCookieOf(response, SECURE_SIGN_IN_BINDING_COOKIE);
  if (line === undefined) throw new Error('GET /signin set no sign-in binding cookie');
  return cookiePair(line);
}

/**
 * Follows a sign-in redirect to the simulator over real HTTP, picks `user` on
 * its page and returns the auto-submit form it answers with.
 */
export async function signInAtSimulator(
  location: string,
  user = 'alice',
): Promise<{ action: string; fields: Record<string, string> }> {
  const page = await fetch(location);
  if (page.status !== 200) throw new Error(`sign-in page: HTTP ${page.status}`);
  const picker = readForm(await page.text());
  const posted = await fetch(picker.action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...picker.fields, user }).toString(),
  });
  if (posted.status !== 200) throw new Error(`sign-in choice: HTTP ${posted.status}`);
  return readForm(await posted.text());
}

/** Posts form fields to the gateway in-process. */
export function postForm(
  app: FastifyInstance,
  url: string,
  fields: Readonly<Record<string, string>>,
  cookie?: string,
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(cookie === undefined ? {} : { cookie }),
    },
    payload: new URLSearchParams(fields).toString(),
  });
}

/**
 * Runs the whole WS-Federation sign-in as `user`, carrying the binding
 * cookie from `/signin` to the callback as a browser does, and returns the
 * gateway's answer to the posted token.
 */
export async function signInThroughGateway(
  app: FastifyInstance,
  returnUrl = '/',
  user = 'alice',
  whr?: string,
): Promise<LightMyRequestResponse> {
  const query = new URLSearchParams({ returnUrl });
  if (whr !== undefined) query.set('whr', whr);
  const start = await app.inject({ method: 'GET', url: `/signin?${query.toString()}` });
  if (start.statusCode !== 302) throw new Error(`GET /signin: HTTP ${start.statusCode}`);
  const form = await signInAtSimulator(start.headers.location as string, user);
  return postForm(app, new URL(form.action).pathname, form.fields, bindingCookieOf(start));
}
