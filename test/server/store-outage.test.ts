/**
 * Issue 13, "store outages fail no sign-in": a gateway on PostgreSQL reached
 * through a loopback TCP proxy that the test cuts (every connection
 * destroyed, new ones refused) and restores, with the IdP simulator as
 * WS-Federation, SAML 2.0 and OpenID Connect issuers. Sign-ins before, during
 * and after the cut; a replay refused during it; /readyz degraded; the alert;
 * the queued records written after it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { loadConfig } from '../../src/config/load-config.js';
import { createIdpSimulator, DEFAULT_TENANT, type IdpSimulator } from '../../src/idp-sim/idp-sim-server.js';
import { CLAIM_TYPES } from '../../src/idp-sim/user-claims.js';
import { createRolloverEngine, type RolloverEngine } from '../../src/rollover/rollover-engine.js';
import { createGatewayServer } from '../../src/server/create-gateway-server.js';
import { createGatewayLogger, lineDestination } from '../../src/server/logging.js';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import { createStoreOutage, type StoreOutage, type StoreOutageEvent } from '../../src/store/store-outage.js';
import type { Store } from '../../src/store/store.js';
import { postgresGate, TEST_POSTGRES_URL } from '../helpers/postgres.js';
import { describeWithService } from '../helpers/service-gate.js';
import { startTcpCut, throughCut, type TcpCut } from '../helpers/tcp-cut.js';
import { bindingCookieOf, cookiePair, postForm, setCookieOf, signInAtSimulator } from './gateway-fixture.js';

const PUBLIC_URL = 'http://127.0.0.1:8787';
const COOKIE = 'claimsgate_session';
const SECOND_TENANT = 'b5d1c0a2-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
const OIDC_CLIENT = '6731de76-14a6-49ae-97bc-6eba6914391e';
const OIDC_SECRET = 'Q8~store-outage-client-secret';
const SCHEMA = `cg_cut_${process.pid.toString(36)}_${randomBytes(3).toString('hex')}`;
const WEBHOOK = 'http://127.0.0.1:9/alerts';

const postgres = await postgresGate();

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A finished sign-in: the gateway's answer to the posted form, the form, and the binding cookie it carried. */
interface SignIn {
  readonly response: LightMyRequestResponse;
  readonly path: string;
  readonly fields: Record<string, string>;
  readonly binding: string;
}

describeWithService('a PostgreSQL store that becomes unreachable', postgres, () => {
  let cut: TcpCut;
  let sim: IdpSimulator;
  let store: Store;
  let outage: StoreOutage;
  let engine: RolloverEngine;
  let app: FastifyInstance;
  const lines: string[] = [];
  const events: StoreOutageEvent[] = [];
  const webhookPosts: Array<{ kind: string; severity: string }> = [];

  before(async () => {
    cut = await startTcpCut({ host: '127.0.0.1', port: Number(new URL(TEST_POSTGRES_URL).port || 5432) });
    sim = await createIdpSimulator({ port: 0, tenants: [DEFAULT_TENANT, SECOND_TENANT] });
    await sim.start();
    const raw = await openPostgresStore(throughCut(TEST_POSTGRES_URL, cut), {
      schema: SCHEMA,
      connectTimeoutMs: 2_000,
      reconnectDelayMs: 100,
      maxReconnectDelayMs: 500,
    });
    outage = createStoreOutage({ store: raw, probeIntervalMs: 100 });
    outage.subscribe((event) => events.push(event));
    store = outage.store;
    const first = sim.tenantUrls();
    const second = sim.tenantUrls(SECOND_TENANT);
    const add = async (input: Parameters<Store['createIssuer']>[0], nameClaim: string): Promise<void> => {
      const issuer = await store.createIssuer(input, 'test');
      await store.createClaimMapping(
        { issuerId: issuer.id, label: input.label!, nameClaim, groupClaim: null },
        'test',
      );
    };
    await add(
      {
        name: 'sim',
        issuerUri: first.entityId,
        metadataUrl: first.federationMetadata,
        loginUrl: first.wsfed,
        protocols: ['wsfed', 'saml2'],
        useForLogin: true,
        label: 'SIM',
      },
      CLAIM_TYPES.upn,
    );
    // Signed in to only during the cut: its key's first use is queued.
    await add(
      {
        name: 'sim2',
        issuerUri: second.entityId,
        metadataUrl: second.federationMetadata,
        loginUrl: second.wsfed,
        protocols: ['wsfed'],
        useForLogin: true,
        label: 'SIMTWO',
      },
      CLAIM_TYPES.upn,
    );
    await add(
      {
        name: 'oidc-sim',
        issuerUri: first.oidcIssuer,
        metadataUrl: first.openIdConfiguration,
        protocols: ['oidc'],
        label: 'OIDC',
      },
      'preferred_username',
    );
    await store.createRealm({ realmUri: PUBLIC_URL, replyUrl: `${PUBLIC_URL}/signin/wsfed` }, 'test');
    engine = createRolloverEngine({ store });
    for (const name of ['sim', 'sim2', 'oidc-sim']) await engine.refreshIssuer(name, { force: true });
    await engine.reload();
    const { config } = loadConfig({
      env: {},
      flags: {
        mode: 'development',
        'server.port': 8787,
        'oidc.clients': { 'oidc-sim': { clientId: OIDC_CLIENT, clientSecret: OIDC_SECRET } },
        'database.outage.alertAfterMs': 0,
        'rollover.webhook.url': WEBHOOK,
      },
    });
    const logger = createGatewayLogger({
      level: 'info',
      destination: lineDestination((line) => lines.push(line)),
    });
    app = createGatewayServer({
      config,
      store,
      storeOutage: outage,
      engine,
      logger,
      webhookFetch: (input, init) => {
        const request = new Request(input, init);
        if (request.url !== WEBHOOK) throw new Error(`unexpected webhook ${request.url}`);
        return request.json().then((body: { alert: { kind: string; severity: string } }) => {
          webhookPosts.push({ kind: body.alert.kind, severity: body.alert.severity });
          return new Response(null, { status: 204 });
        });
      },
    });
    await app.ready();
  });

  after(async () => {
    await app?.close();
    await engine?.stop();
    await store?.close();
    await sim?.stop();
    await cut?.close();
    await withAdmin((client) => client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(SCHEMA)} CASCADE`));
  });

  /** The whole sign-in at `whr` by `protocol`, as a browser does it; returns the gateway's answer to the posted form. */
  async function signIn(whr: string, protocol: string): Promise<SignIn> {
    const query = new URLSearchParams({ returnUrl: '/', whr, protocol });
    const start = await app.inject({ method: 'GET', url: `/signin?${query.toString()}` });
    assert.equal(start.statusCode, 302, `GET /signin (${whr}, ${protocol}): ${start.body}`);
    const binding = bindingCookieOf(start);
    const form = await signInAtSimulator(start.headers.location as string);
    const path = new URL(form.action).pathname;
    const response = await postForm(app, path, form.fields, binding);
    return { response, path, fields: form.fields, binding };
  }

  function assertSignedIn(signedIn: SignIn, what: string): string {
    assert.equal(signedIn.response.statusCode, 303, `${what}: ${signedIn.response.body}`);
    const cookie = setCookieOf(signedIn.response, COOKIE);
    assert.ok(cookie !== undefined, `${what}: a session cookie`);
    return cookiePair(cookie);
  }

  async function signInEveryWay(when: string): Promise<Record<string, string>> {
    return {
      wsfed: assertSignedIn(await signIn('sim', 'wsfed'), `WS-Fed ${when}`),
      saml2: assertSignedIn(await signIn('sim', 'saml2'), `SAML 2.0 ${when}`),
      oidc: assertSignedIn(await signIn('oidc-sim', 'oidc'), `OIDC ${when}`),
    };
  }

  async function readiness(): Promise<{ statusCode: number; body: { status: string; checks: object } }> {
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    return { statusCode: response.statusCode, body: response.json() };
  }

  async function waitForRecovery(): Promise<Extract<StoreOutageEvent, { kind: 'up' }>> {
    for (;;) {
      const up = events.find((event) => event.kind === 'up');
      if (up !== undefined && up.kind === 'up') return up;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('signs users in by WS-Federation, SAML 2.0 and OpenID Connect before, during and after the cut, and writes what it queued', async () => {
    const before = await signInEveryWay('before the cut');
    assert.deepEqual((await readiness()).body.status, 'ready');
    const sim2 = await store.getIssuer('sim2');
    const sim2Keys = await store.listKeys(sim2!.id);
    assert.ok(
      sim2Keys.length > 0 && sim2Keys.every((key) => key.lastUsedAt === null),
      'sim2: keys not used yet',
    );

    cut.cut();
    // The first call that meets the cut begins the outage.
    const degraded = await readiness();
    assert.equal(degraded.statusCode, 200);
    assert.equal(degraded.body.status, 'degraded');
    assert.deepEqual(degraded.body.checks, { store: 'unreachable', trust: 'ok' });
    assert.equal(outage.reachable, false);

    await signInEveryWay('during the cut');
    assertSignedIn(await signIn('sim2', 'wsfed'), 'WS-Fed at sim2 during the cut');

    // A sign-in answer posted twice: refused, its state and token already used here.
    const once = await signIn('sim', 'wsfed');
    assertSignedIn(once, 'WS-Fed during the cut');
    const again = await postForm(app, once.path, once.fields, once.binding);
    assert.equal(again.statusCode, 400, again.body);
    assert.match(again.body, /CG_TOKEN_REPLAYED/);
    // The token alone, under a new sign-in's state: refused as a replayed token.
    const query = new URLSearchParams({ returnUrl: '/', whr: 'sim', protocol: 'wsfed' });
    const fresh = await app.inject({ method: 'GET', url: `/signin?${query.toString()}` });
    const freshForm = await signInAtSimulator(fresh.headers.location as string);
    const replayed = await postForm(
      app,
      once.path,
      { ...freshForm.fields, wresult: once.fields['wresult']! },
      bindingCookieOf(fresh),
    );
    assert.equal(replayed.statusCode, 400, replayed.body);
    assert.match(replayed.body, /CG_TOKEN_REPLAYED/);

    // A session from before the cut still serves its pages.
    const page = await app.inject({ method: 'GET', url: '/', headers: { cookie: before['wsfed']! } });
    assert.equal(page.statusCode, 200, page.body);
    assert.match(page.body, /SIM:alice@contoso.test/);

    assert.ok(outage.status().queued > 0, 'records wait for the store');
    assert.ok(
      lines.some((line) => line.includes('"alert.store-unreachable"') && line.includes('"level":"error"')),
      'the alert is logged at error level',
    );
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    assert.match(metrics.body, /^claimsgate_store_up 0$/m);
    assert.match(metrics.body, /^claimsgate_store_outage_sign_ins_total\{protocol="wsfed"\} [1-9]/m);

    const replaysBefore = await withAdmin(
      async (client) =>
        (
          await client.query<{ n: string }>(
            `SELECT count(*) AS n FROM ${pg.escapeIdentifier(SCHEMA)}.replays`,
          )
        ).rows[0]!.n,
    );
    cut.restore();
    const up = await waitForRecovery();
    assert.ok((up.written['replayIds'] ?? 0) >= 8, `replay IDs written: ${JSON.stringify(up.written)}`);
    assert.ok((up.written['keyUses'] ?? 0) >= 1, `key uses written: ${JSON.stringify(up.written)}`);
    assert.equal(up.stillQueued, 0);
    const replaysAfter = await withAdmin(
      async (client) =>
        (
          await client.query<{ n: string }>(
            `SELECT count(*) AS n FROM ${pg.escapeIdentifier(SCHEMA)}.replays`,
          )
        ).rows[0]!.n,
    );
    assert.ok(Number(replaysAfter) >= Number(replaysBefore) + 8, `${replaysBefore} → ${replaysAfter}`);
    const used = (await store.listKeys(sim2!.id)).filter((key) => key.lastUsedAt !== null);
    assert.ok(used.length > 0, 'the key first used during the cut has its use recorded');

    assert.equal((await readiness()).body.status, 'ready');
    await signInEveryWay('after the cut');
    assert.ok(
      lines.some((line) => line.includes('"store.reachable"') && line.includes('durationMs')),
      'the recovery is logged with the duration',
    );
    assert.equal(
      lines.filter((line) => line.includes('"alert.store-unreachable"')).length,
      1,
      'one alert for the outage',
    );
    await app.inject({ method: 'GET', url: '/healthz' });
    assert.deepEqual(
      webhookPosts.map((post) => post.kind),
      ['store-unreachable', 'store-recovered'],
    );
  });
});
