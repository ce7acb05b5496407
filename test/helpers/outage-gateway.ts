/**
 * A gateway on PostgreSQL reached through a loopback TCP proxy that can be
 * cut (test/helpers/tcp-cut.ts), with the IdP simulator as its issuers: `sim`
 * (WS-Federation and SAML 2.0), `sim2` (WS-Federation, a second tenant) and
 * `oidc-sim` (OpenID Connect, code flow). The store lives in a fresh schema,
 * dropped by `close`. For the store-outage test and `npm run bench -- outage`.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
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
import { bindingCookieOf, postForm, signInAtSimulator } from '../server/gateway-fixture.js';
import { startTcpCut, throughCut, type TcpCut } from './tcp-cut.js';

export const OUTAGE_PUBLIC_URL = 'http://127.0.0.1:8787';
const SECOND_TENANT = 'b5d1c0a2-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
const OIDC_CLIENT = '6731de76-14a6-49ae-97bc-6eba6914391e';
const OIDC_SECRET = 'Q8~store-outage-client-secret';
/** Where the alert webhook is posted; `webhookFetch` answers it without a network. */
export const OUTAGE_WEBHOOK = 'http://127.0.0.1:9/alerts';

/** A finished sign-in: the gateway's answer to the posted form, the form, and the binding cookie it carried. */
export interface OutageSignIn {
  readonly response: LightMyRequestResponse;
  readonly path: string;
  readonly fields: Record<string, string>;
  readonly binding: string;
}

export interface OutageGateway {
  readonly app: FastifyInstance;
  readonly cut: TcpCut;
  readonly sim: IdpSimulator;
  /** The watched store the engine and the gateway use. */
  readonly store: Store;
  readonly outage: StoreOutage;
  readonly engine: RolloverEngine;
  readonly schema: string;
  /** The gateway's log lines (JSON). */
  readonly lines: readonly string[];
  /** The outage watch's events, in order. */
  readonly events: readonly StoreOutageEvent[];
  /** The alerts posted to the webhook. */
  readonly webhookPosts: ReadonlyArray<{ readonly kind: string; readonly severity: string }>;
  /**
   * Signs in at `whr` by `protocol` as a browser does (GET /signin, the
   * simulator's page, the form posted back); throws when /signin does not redirect.
   */
  signIn(whr: string, protocol: string): Promise<OutageSignIn>;
  /** Runs `work` with a client of its own on the real database (not through the proxy). */
  withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T>;
  /** Closes everything and drops the schema. */
  close(): Promise<void>;
}

/** Starts the simulator, the proxy to `databaseUrl`'s server, the store in a fresh schema, the engine and the gateway. */
export async function startOutageGateway(options: {
  readonly databaseUrl: string;
  /** Settings by dotted path over the harness's own. */
  readonly flags?: Readonly<Record<string, unknown>>;
  /** The gateway's log level; default info. */
  readonly logLevel?: 'info' | 'warn';
  readonly probeIntervalMs?: number;
}): Promise<OutageGateway> {
  const schema = `cg_cut_${process.pid.toString(36)}_${randomBytes(3).toString('hex')}`;
  const lines: string[] = [];
  const events: StoreOutageEvent[] = [];
  const webhookPosts: Array<{ kind: string; severity: string }> = [];
  const closers: Array<() => Promise<unknown>> = [];
  const withAdmin = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: options.databaseUrl });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  const close = async (): Promise<void> => {
    for (const closer of closers.splice(0).reverse()) await closer().catch(() => undefined);
  };
  try {
    const cut = await startTcpCut({
      host: '127.0.0.1',
      port: Number(new URL(options.databaseUrl).port || 5432),
    });
    closers.push(() => cut.close());
    closers.push(() =>
      withAdmin((client) => client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`)),
    );
    const sim = await createIdpSimulator({ port: 0, tenants: [DEFAULT_TENANT, SECOND_TENANT] });
    await sim.start();
    closers.push(() => sim.stop());
    const raw = await openPostgresStore(throughCut(options.databaseUrl, cut), {
      schema,
      connectTimeoutMs: 2_000,
      reconnectDelayMs: 100,
      maxReconnectDelayMs: 500,
    });
    const outage = createStoreOutage({ store: raw, probeIntervalMs: options.probeIntervalMs ?? 100 });
    outage.subscribe((event) => events.push(event));
    const store = outage.store;
    closers.push(() => store.close());
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
    await store.createRealm(
      { realmUri: OUTAGE_PUBLIC_URL, replyUrl: `${OUTAGE_PUBLIC_URL}/signin/wsfed` },
      'test',
    );
    // Started as `serve` starts it: trust loaded, the issuers refreshed, store changes followed.
    const engine = createRolloverEngine({ store, logger: () => undefined });
    closers.push(() => engine.stop());
    await engine.start();
    const { config } = loadConfig({
      env: {},
      flags: {
        mode: 'development',
        'server.port': 8787,
        'oidc.clients': { 'oidc-sim': { clientId: OIDC_CLIENT, clientSecret: OIDC_SECRET } },
        'rollover.webhook.url': OUTAGE_WEBHOOK,
        ...options.flags,
      },
    });
    const logger = createGatewayLogger({
      level: options.logLevel ?? 'info',
      destination: lineDestination((line) => lines.push(line)),
    });
    const app = createGatewayServer({
      config,
      store,
      storeOutage: outage,
      engine,
      logger,
      webhookFetch: (input, init) => {
        const request = new Request(input, init);
        if (request.url !== OUTAGE_WEBHOOK) throw new Error(`unexpected webhook ${request.url}`);
        return request.json().then((body: { alert: { kind: string; severity: string } }) => {
          webhookPosts.push({ kind: body.alert.kind, severity: body.alert.severity });
          return new Response(null, { status: 204 });
        });
      },
    });
    closers.push(() => app.close());
    await app.ready();

    return {
      app,
      cut,
      sim,
      store,
      outage,
      engine,
      schema,
      lines,
      events,
      webhookPosts,
      async signIn(whr, protocol) {
        const query = new URLSearchParams({ returnUrl: '/', whr, protocol });
        const start = await app.inject({ method: 'GET', url: `/signin?${query.toString()}` });
        if (start.statusCode !== 302) {
          throw Object.assign(new Error(`GET /signin (${whr}, ${protocol}): HTTP ${start.statusCode}`), {
            statusCode: start.statusCode,
            body: start.body,
          });
        }
        const binding = bindingCookieOf(start);
        const form = await signInAtSimulator(start.headers.location as string);
        const path = new URL(form.action).pathname;
        const response = await postForm(app, path, form.fields, binding);
        return { response, path, fields: form.fields, binding };
      },
      withAdmin,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
