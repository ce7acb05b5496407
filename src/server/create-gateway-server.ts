import formbody from '@fastify/formbody';
import fastify, { type FastifyInstance } from 'fastify';
import type { Config } from '../config/config-schema.js';
import type { DeepReadonly } from '../config/deep-freeze.js';
import type { RolloverEngine } from '../rollover/rollover-engine.js';
import { createSealingKeyRing } from '../session/sealing-keys.js';
import { createSessionCookies } from '../session/session-cookie.js';
import { createSignInStateCodec } from '../session/sign-in-state.js';
import { createStoreReplayCache } from '../store/store-replay-cache.js';
import type { Store } from '../store/store.js';
import { createAdminGuard } from './admin-auth.js';
import { sendErrorPage } from './error-page.js';
import { createGatewayMetrics } from './gateway-metrics.js';
import type { GatewayServices } from './gateway-services.js';
import { registerHealthRoutes } from './health-routes.js';
import { registerSamplePages } from './sample-pages.js';
import { createSessionHook } from './session-hook.js';
import { registerSignInRoutes } from './sign-in-routes.js';
import { createWsFedSignIn } from './wsfed-sign-in.js';

export interface GatewayServerOptions {
  readonly config: DeepReadonly<Config>;
  readonly store: Store;
  /** The rollover engine; the caller starts and stops it. */
  readonly engine: RolloverEngine;
  /** The clock for sessions, sign-in state and token validation; default the system clock. */
  readonly now?: () => Date;
  /** Log with pino at `config.logging.level`; default false (no logger). */
  readonly log?: boolean;
}

/** Room for the form around a URL-encoded token (each byte may take three characters). */
const FORM_OVERHEAD_BYTES = 64 * 1024;

/**
 * Builds the gateway's HTTP server: session cookies read on every request,
 * WS-Federation sign-in and sign-out, the protected sample page and the
 * health endpoints. Nothing is listening yet: the caller binds it with
 * `listen({ host: config.server.host, port })` and closes it.
 *
 * @throws TypeError when the session settings or keys are unusable (see
 *   `createSealingKeyRing`, `createSessionCookies`).
 */
export function createGatewayServer(options: GatewayServerOptions): FastifyInstance {
  const { config, store, engine } = options;
  const now = options.now ?? (() => new Date());
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
  const sessions = createSessionHook(cookies, config.session.cookieName);
  const services: GatewayServices = {
    config,
    store,
    engine,
    now,
    cookies,
    signInState: createSignInStateCodec({ ring, now }),
    replayCache: createStoreReplayCache(store, now),
    sessions,
    admin: createAdminGuard({
      config,
      ring,
      sessions,
      renderRefusal: (reply, status, error) => sendErrorPage(reply.request, reply, status, error),
    }),
    metrics: createGatewayMetrics(),
  };

  const app = fastify({
    logger: options.log === true ? { level: config.logging.level } : false,
    trustProxy: config.server.trustProxy,
    bodyLimit: config.validation.maxTokenBytes * 3 + FORM_OVERHEAD_BYTES,
  });
  void app.register(formbody);
  services.sessions.register(app);
  registerHealthRoutes(app, services);
  registerSamplePages(app, services);
  registerSignInRoutes(app, services, [createWsFedSignIn(app, services)]);
  return app;
}
