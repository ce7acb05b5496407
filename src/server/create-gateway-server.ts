import formbody from '@fastify/formbody';
import fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createManagementService } from '../management/create-service.js';
import type { Config } from '../config/config-schema.js';
import type { DeepReadonly } from '../config/deep-freeze.js';
import { createCpuGate } from '../lib/cpu-gate.js';
import { html } from '../lib/html.js';
import type { RolloverEngine } from '../rollover/rollover-engine.js';
import { createGatewayDirectory } from './gateway-directory.js';
import { createSealingKeyRing } from '../session/sealing-keys.js';
import { createSessionCookies } from '../session/session-cookie.js';
import { createSignInStateCodec } from '../session/sign-in-state.js';
import { createStoreOutage, type StoreOutage } from '../store/store-outage.js';
import { createStoreReplayCache } from '../store/store-replay-cache.js';
import type { Store } from '../store/store.js';
import { createGuardedFetch } from '../metadata/guarded-fetch.js';
import { registerAdminApi } from './admin-api.js';
import { createAdminGuard } from './admin-access/admin-auth.js';
import { registerAdminLoginRoutes } from './admin-access/admin-login.js';
import { setAdminSecurityHeaders } from './admin-site/admin-responses.js';
import { registerAdminSite } from './admin-site/register-admin-site.js';
import { handleGatewayError, sendErrorPage } from './error-page.js';
import { createGatewayMetrics } from './gateway-metrics.js';
import type { GatewayServices } from './gateway-services.js';
import { registerHealthRoutes } from './health-routes.js';
import { createGatewayLogger, fastifyLoggingOptions, registerRequestIdHeader } from './logging.js';
import { registerMetricsRoutes } from './metrics-routes.js';
import { createOidcSignIn } from './oidc-sign-in.js';
import { createSamlSignIn } from './saml-sign-in.js';
import { registerReplyCookies } from './reply-cookies.js';
import { registerSamplePages } from './sample-pages.js';
import { createSessionHook } from './session-hook.js';
import { createSessionRevocations } from './session-revocations.js';
import { createDrainState, registerDrainHooks, type DrainState } from './shutdown.js';
import { createGatewayValidator } from './sign-in-pipeline.js';
import { registerSignInRoutes } from './sign-in-routes.js';
import { createStoreOutageAlerts } from './store-outage-alerts.js';
import { registerUpstreamProxy } from './upstream-proxy.js';
import { createWsFedSignIn } from './wsfed-sign-in.js';
import { fastifyTrustProxy } from './trusted-proxies.js';

export interface GatewayServerOptions {
  readonly config: DeepReadonly<Config>;
  /** The store; with `storeOutage`, the store it watches (or its watched store). */
  readonly store: Store;
  /**
   * The watch on the store's outages (`createStoreOutage`), when the caller
   * made one to give the engine its watched store (so the engine's key-use
   * and claim-type records are queued during an outage); default one of the
   * gateway's own on `store`, stopped when the server closes.
   */
  readonly storeOutage?: StoreOutage;
  /** The rollover engine; the caller starts and stops it. */
  readonly engine: RolloverEngine;
  /** The clock for sessions, sign-in state and token validation; default the system clock. */
  readonly now?: () => Date;
  /** Log with pino at `config.logging.level` to standard output; default false (no logger). */
  readonly log?: boolean;
  /** The logger to use instead (see `createGatewayLogger`, e.g. with a destination a test reads); wins over `log`. */
  readonly logger?: Logger;
  /** Shutdown state shared with the caller's shutdown sequence (`/readyz` says `draining`); default one of its own. */
  readonly drain?: DrainState;
  /** Add Node's process metrics to `/metrics`; default false (`serve` turns them on). */
  readonly processMetrics?: boolean;
  /**
   * Outgoing HTTP (metadata imports, the OpenID Connect token endpoint); default a guarded fetch
   * (`createGuardedFetch` with `rollover.privateMetadataHosts`).
   */
  readonly fetch?: typeof globalThis.fetch;
  /** The fetch for the alert webhook (`rollover.webhook`, the operator's own URL); default `globalThis.fetch`. */
  readonly webhookFetch?: typeof globalThis.fetch;
}

/**
 * The outage watch of the gateway: the caller's, checked to watch the
 * gateway's store, or a new one.
 *
 * @throws TypeError when `storeOutage` watches another store.
 */
function outageWatch(options: GatewayServerOptions, now: () => Date): { outage: StoreOutage; own: boolean } {
  const { storeOutage, store, config } = options;
  if (storeOutage === undefined) {
    const outage = createStoreOutage({ store, now, probeIntervalMs: config.database.outage.probeIntervalMs });
    return { outage, own: true };
  }
  if (storeOutage.store !== store && storeOutage.unwatched !== store)
    throw new TypeError('storeOutage must watch the gateway’s store');
  return { outage: storeOutage, own: false };
}

/** Room for the form around a URL-encoded token (each byte may take three characters). */
const FORM_OVERHEAD_BYTES = 64 * 1024;

/**
 * The server's timeouts. SECURITY: without them a client that sends a
 * Content-Length and then too few bytes, or headers one byte at a time,
 * holds a socket for ever (slowloris).
 * - `requestTimeout`: the whole request, headers and body, must arrive
 *   within `server.requestTimeoutMs` (else 408 and close). Node stops the
 *   clock once the request is received, so long answers (downloads passed
 *   on from the upstream) are never cut; Node checks every
 *   `connectionsCheckingInterval`, so that is kept well below the timeout.
 * - `headersTimeout`: Node's 60 s, or less when the request timeout is shorter.
 * - `keepAliveTimeout`: an idle kept-alive connection closes after 72 s
 *   (Fastify's default, longer than the 60 s idle timeout of common load
 *   balancers so they never reuse a connection the gateway is closing).
 * - `connectionTimeout` stays 0: a socket idle timeout would also cut
 *   silent streams in flight (server-sent events, long polls, relayed
 *   WebSockets), which `gateway.upstreamTimeoutMs` and the upstream govern.
 */
function serverTimeouts(requestTimeoutMs: number): {
  requestTimeout: number;
  keepAliveTimeout: number;
  connectionTimeout: number;
  http: { requestTimeout: number; headersTimeout: number; connectionsCheckingInterval: number };
} {
  return {
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: 72_000,
    connectionTimeout: 0,
    http: {
      requestTimeout: requestTimeoutMs,
      headersTimeout: Math.min(60_000, requestTimeoutMs),
      connectionsCheckingInterval: Math.min(1_000, Math.max(25, Math.floor(requestTimeoutMs / 4))),
    },
  };
}

/**
 * Builds the gateway's HTTP server: session cookies read on every request,
 * WS-Federation sign-in and sign-out, the protected sample page (or, when
 * `gateway.upstream` is set, the reverse proxy to the application), the
 * health endpoints and `/metrics`, with one log line per request and an
 * `X-Request-ID` on every answer. Nothing is listening yet: the caller binds it with
 * `listen({ host: config.server.host, port })` and closes it.
 *
 * @throws TypeError when the session settings or keys are unusable (see
 *   `createSealingKeyRing`, `createSessionCookies`).
 */
export function createGatewayServer(options: GatewayServerOptions): FastifyInstance {
  const { config, engine } = options;
  const now = options.now ?? (() => new Date());
  const { outage, own: ownOutage } = outageWatch(options, now);
  // Every store call of the gateway is watched: a call that finds the database unreachable begins an outage.
  const store = outage.store;
  // SECURITY: outgoing requests to URLs from issuers' documents (imports, the OIDC token endpoint)
  // connect only to public addresses, loopback named as such, and rollover.privateMetadataHosts.
  const guardedFetch =
    options.fetch === undefined
      ? createGuardedFetch({ privateHosts: config.rollover.privateMetadataHosts })
      : undefined;
  const outgoingFetch = options.fetch ?? guardedFetch!.fetch;
  const ring = createSealingKeyRing(config.session.keys);
  const cookies = createSessionCookies({
    ring,
    cookieName: config.session.cookieName,
    absoluteLifetimeSeconds: config.session.absoluteLifetimeSeconds,
    idleTimeoutSeconds: config.session.idleTimeoutSeconds,
    renewAfterSeconds: config.session.renewAfterSeconds,
    secure: config.session.secureCookies,
    now,
  });
  const logger =
    options.logger ??
    (options.log === true ? createGatewayLogger({ level: config.logging.level }) : undefined);
  const revocations = createSessionRevocations({
    store,
    now,
    // The server's logger, once the server exists (revocations are read from its onReady hook on).
    warn: (facts, message) => app.log.warn(facts, message),
  });
  const sessions = createSessionHook(cookies, config.session.cookieName, revocations);
  const drain = options.drain ?? createDrainState();
  const replayCache = createStoreReplayCache(store, {
    now,
    whenUnreachable: config.database.outage.replayCache,
    outage,
    localEntries: config.database.outage.replayEntries,
  });
  const outageAlerts = createStoreOutageAlerts({
    // The server's logger, once the server exists (outages are told from requests and timers).
    logger: ({ level, event, message, ...facts }) =>
      app.log[level]({ event, ...facts }, typeof message === 'string' ? message : event),
    alertAfterMs: config.database.outage.alertAfterMs,
    ...(config.rollover.webhook === undefined
      ? {}
      : {
          webhook: {
            url: config.rollover.webhook.url,
            headers: config.rollover.webhook.headers,
            retries: config.rollover.webhook.retries,
          },
        }),
    fetch: options.webhookFetch ?? globalThis.fetch,
    now,
  });
  const unsubscribeOutage = outage.subscribe((event) => outageAlerts.onEvent(event));
  const cpuGate = createCpuGate();
  const services: GatewayServices = {
    config,
    store,
    storeOutage: outage,
    engine,
    directory: createGatewayDirectory(engine, store),
    now,
    cookies,
    signInState: createSignInStateCodec({ ring, now }),
    replayCache,
    validator: createGatewayValidator({ config, engine, replayCache, cpuGate, now }),
    cpuGate,
    sessions,
    revocations,
    admin: createAdminGuard({
      config,
      ring,
      sessions,
      renderRefusal: (reply, status, error) => {
        setAdminSecurityHeaders(reply);
        return sendErrorPage(
          reply.request,
          reply,
          status,
          error,
          html`<p><a href="/admin/login">Sign in as an administrator</a></p>`,
          'Not allowed',
        );
      },
    }),
    metrics: createGatewayMetrics({
      store,
      storeOutage: outage,
      engine,
      records: () => {
        const directory = engine.directory();
        return directory?.allCurrent === true ? directory.records : undefined;
      },
      now,
      processMetrics: options.processMetrics ?? false,
      issuerSeriesLimit: config.metrics.issuerSeriesLimit,
      onStoreError: (error) => logger?.warn({ err: error }, 'metrics: the store could not be read'),
    }),
    fetch: outgoingFetch,
    adminService: createManagementService({
      store,
      engine,
      now,
      fetch: outgoingFetch,
      allowHttp: config.rollover.allowHttpMetadata,
      fetchTimeoutMs: config.rollover.fetchTimeoutMs,
      graceSeconds: config.rollover.graceSeconds,
      continuityProbationSeconds: config.rollover.continuityProbationSeconds,
      alertThresholds: {
        expiryDays: config.rollover.alerts.expiryDays,
        consecutiveFailures: config.rollover.alerts.consecutiveFailures,
        staleAfterSeconds: config.rollover.alerts.staleAfterSeconds,
      },
    }),
  };

  const app = fastify({
    ...fastifyLoggingOptions(logger),
    // Requests that reach a closing server on a busy kept-alive connection are still served (with
    // `Connection: close`, see registerDrainHooks) instead of Fastify's bare 503.
    return503OnClosing: false,
    trustProxy: fastifyTrustProxy(config.server),
    bodyLimit: config.validation.maxTokenBytes * 3 + FORM_OVERHEAD_BYTES,
    ...serverTimeouts(config.server.requestTimeoutMs),
    // The admin API's schemas refuse unknown properties (400) rather than silently dropping them.
    ajv: { customOptions: { removeAdditional: false } },
  });
  void app.register(formbody);
  registerReplyCookies(app);
  // Whatever no route answered itself, store failures first: coded, with the request ID, never the cause.
  app.setErrorHandler(handleGatewayError);
  registerRequestIdHeader(app);
  registerDrainHooks(app, drain);
  // The revocation list is read before the first request, and followed until the server closes.
  app.addHook('onReady', () => revocations.start());
  app.addHook('onClose', async () => {
    revocations.stop();
    unsubscribeOutage();
    outageAlerts.stop();
    if (ownOutage) outage.stop();
    await guardedFetch?.close();
  });
  services.sessions.register(app);
  registerHealthRoutes(app, services, drain);
  registerMetricsRoutes(app, services);
  // Gateway mode: the application behind the gateway answers `/` and everything else the gateway does not own.
  if (config.gateway.upstream === undefined) registerSamplePages(app, services);
  else registerUpstreamProxy(app, services);
  registerSignInRoutes(app, services, [
    createWsFedSignIn(services),
    createSamlSignIn(services),
    createOidcSignIn(services),
  ]);
  registerAdminLoginRoutes(app, services);
  registerAdminApi(app, services);
  registerAdminSite(app, services);
  return app;
}
