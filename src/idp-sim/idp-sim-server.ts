import formbody from '@fastify/formbody';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { ClaimsgateError } from '../lib/errors.js';
import { createAuthorizationCodes } from './authorization-codes.js';
import { registerControlRoutes, reportKeys, type TenantKeysReport } from './control-routes.js';
import { html, type SafeHtml } from '../lib/html.js';
import { renderPage, sendHtml } from './html-pages.js';
import { createKeyRing } from './key-ring.js';
import { registerMetadataRoutes } from './metadata-documents.js';
import { oauthErrorName, registerOidcRoutes } from './oidc.js';
import {
  ROLLOVER_MODES,
  ROLLOVER_STEPS,
  runRolloverStep,
  startRolloverSchedule,
  type RolloverOutcome,
  type RolloverSchedule,
  type RolloverMode,
  type RolloverStep,
} from './rollover.js';
import { registerSaml2Routes } from './saml2.js';
import type { SimContext, SimTenant } from './sim-context.js';
import { silentLogger, type SimLogger } from './sim-logger.js';
import { tenantUrls, type TenantUrls } from './tenant-urls.js';
import { checkTestUsers, DEFAULT_TEST_USERS, type TestUser } from './test-users.js';
import { registerWsFedRoutes } from './wsfed.js';

/** The tenant served when none is named: a fixed GUID, so that URLs stay the same across runs. */
export const DEFAULT_TENANT = '0f3c5b1e-7a2d-4e8f-9b6c-1d2e3f4a5b6c';

/** Options of {@link createIdpSimulator}. */
export interface IdpSimulatorOptions {
  /** `127.0.0.1` (default) or `::1`; nothing else is ever bound. */
  readonly host?: string;
  /** The port to listen on; 0 picks a free one at start. */
  readonly port: number;
  /** Tenant IDs (letters, digits, `-`; at most 64). Default one fixed GUID. */
  readonly tenants?: readonly string[];
  /** The test users offered on the sign-in page. Default alice, bob and an admin. */
  readonly users?: readonly TestUser[];
  /** Run one rollover step every this many milliseconds once started. Default never. */
  readonly rolloverEveryMs?: number;
  /** How the timer rolls keys: announced first (default), or unannounced (an emergency switch each time). */
  readonly rolloverMode?: RolloverMode;
  /** Issue SAML 1.1 rather than SAML 2.0 in WS-Federation unless the request chooses. */
  readonly saml11?: boolean;
  /** The base of every URL and issuer (`http://localhost:8788`); default `http://<host>:<bound port>`. */
  readonly issuerBase?: string;
  readonly now?: () => Date;
  readonly logger?: SimLogger;
}

/** A running (or ready to run) IdP simulator. */
export interface IdpSimulator {
  /** The base URL: `issuerBase`, or `http://<host>:<port>` with the bound port once started. */
  readonly url: string;
  /** The fastify instance, for `inject()` in tests. */
  readonly app: FastifyInstance;
  readonly tenants: readonly string[];
  readonly users: readonly TestUser[];
  /** The URLs of a tenant (default the first). */
  tenantUrls(tenant?: string): TenantUrls;
  /** Listens, starts the rollover timer when configured, and resolves the base URL. */
  start(): Promise<string>;
  /** Stops the timer (waiting for a step in progress) and closes the server. */
  stop(): Promise<void>;
  /**
   * Runs a rollover step now on one tenant or all.
   *
   * @throws TypeError for an unknown step or tenant.
   */
  rollover(step: RolloverStep, tenant?: string): Promise<RolloverOutcome[]>;
  /** Every tenant's keys with their states, kids and thumbprints. */
  keys(): TenantKeysReport[];
}

const TENANT_ID = /^[0-9A-Za-z-]{1,64}$/;

function checkOptions(options: IdpSimulatorOptions): {
  host: string;
  tenants: string[];
  base: string | undefined;
} {
  const host = options.host ?? '127.0.0.1';
  // SECURITY: a test identity provider signs tokens for anyone who asks;
  // it must never be reachable from another machine.
  if (host !== '127.0.0.1' && host !== '::1') {
    throw new TypeError(`host must be 127.0.0.1 or ::1 (loopback only), not ${JSON.stringify(host)}`);
  }
  if (!Number.isSafeInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new TypeError('port must be an integer from 0 to 65535');
  }
  const tenants = [...(options.tenants ?? [DEFAULT_TENANT])];
  if (tenants.length === 0) throw new TypeError('tenants must list at least one tenant');
  for (const tenant of tenants) {
    if (!TENANT_ID.test(tenant) || tenant === 'control') {
      throw new TypeError(
        `tenant ${JSON.stringify(tenant)} must be 1-64 letters, digits or "-" (and not "control")`,
      );
    }
  }
  if (new Set(tenants).size !== tenants.length) throw new TypeError('tenants must not repeat');
  const every = options.rolloverEveryMs;
  if (every !== undefined && (!Number.isSafeInteger(every) || every < 1)) {
    throw new TypeError('rolloverEveryMs must be a positive integer');
  }
  if (options.rolloverMode !== undefined && !ROLLOVER_MODES.includes(options.rolloverMode)) {
    throw new TypeError(`rolloverMode must be one of ${ROLLOVER_MODES.join(', ')}`);
  }
  let base: string | undefined;
  if (options.issuerBase !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(options.issuerBase);
    } catch {
      url = undefined;
    }
    if (
      url === undefined ||
      !['http:', 'https:'].includes(url.protocol) ||
      url.search !== '' ||
      url.hash !== ''
    ) {
      throw new TypeError('issuerBase must be an http(s) URL without query or fragment');
    }
    base = options.issuerBase.replace(/\/+$/, '');
  }
  checkTestUsers(options.users ?? DEFAULT_TEST_USERS);
  return { host, tenants, base };
}

function wantsHtml(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/html');
}

function sendError(
  context: SimContext,
  error: FastifyError | ClaimsgateError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (!(error instanceof ClaimsgateError)) {
    const status = error.statusCode ?? 500;
    if (status >= 500)
      context.logger({ level: 'error', event: 'idp-sim.error', url: request.url, error: error.message });
    return reply
      .code(status)
      .send({ error: { code: error.code, message: status >= 500 ? 'Internal error.' : error.message } });
  }
  const status = error.code === 'CG_TOKEN_REQUEST_TENANT_UNKNOWN' ? 404 : 400;
  context.logger({
    level: 'warn',
    event: 'idp-sim.request.rejected',
    method: request.method,
    path: request.routeOptions.url ?? request.url.split('?')[0],
    code: error.code,
    detail: error.detail,
  });
  if (request.routeOptions.url === '/:tenant/oauth2/v2.0/token') {
    return reply
      .code(status)
      .header('cache-control', 'no-store')
      .send({ error: oauthErrorName(error), error_description: error.message, code: error.code });
  }
  if (wantsHtml(request)) {
    return sendHtml(
      reply,
      renderPage(
        'Sign-in request refused',
        html`<h1>Sign-in request refused</h1><p>${error.message}</p><p><code>${error.code}</code></p><p>${error.hint}</p>`,
      ),
      status,
    );
  }
  // The parameter's name is safe to tell the client; the rest of the detail stays in the log.
  const parameter = typeof error.detail.parameter === 'string' ? { parameter: error.detail.parameter } : {};
  return reply
    .code(status)
    .send({ error: { code: error.code, message: error.message, hint: error.hint, ...parameter } });
}

function renderIndex(context: SimContext): SafeHtml {
  const rows = [...context.tenants.values()].map((tenant) => {
    const urls = tenant.urls();
    const link = (href: string, label: string): SafeHtml => html`<a href="${href}">${label}</a>`;
    return html`<li><code>${tenant.id}</code>: ${link(urls.federationMetadata, 'federation metadata')}, ${link(urls.openIdConfiguration, 'OpenID configuration')}, ${link(urls.jwks, 'JWKS')}</li>`;
  });
  return renderPage(
    'claimsgate IdP simulator',
    html`<h1>claimsgate IdP simulator</h1><ul>${rows}</ul><p>Keys: <a href="/control/keys">/control/keys</a></p>`,
  );
}

/**
 * Creates an Azure-AD-like identity provider for demos, tests and rollover
 * drills: per-tenant signed WS-Federation metadata, WS-Federation sign-in
 * (SAML 2.0 or 1.1 tokens), SAML 2.0 SSO, OpenID Connect discovery, JWKS,
 * authorize and token endpoints, a test-user page, and a key rollover
 * schedule (announce → switch → retire) run by a timer or `POST
 * /control/rollover`. Each tenant's first key is generated here; nothing
 * listens until `start()`, but `app.inject()` works at once.
 *
 * @throws TypeError for a bad option, including any host but 127.0.0.1 or ::1.
 */
export async function createIdpSimulator(options: IdpSimulatorOptions): Promise<IdpSimulator> {
  const { host, tenants, base } = checkOptions(options);
  const now = options.now ?? (() => new Date());
  const logger = options.logger ?? silentLogger;
  const users = Object.freeze([...(options.users ?? DEFAULT_TEST_USERS)]);
  let boundPort = options.port;
  const baseUrl = (): string => base ?? `http://${host === '::1' ? '[::1]' : host}:${boundPort}`;

  const tenantMap = new Map<string, SimTenant>();
  for (const id of tenants) {
    const ring = await createKeyRing(id, { now });
    tenantMap.set(id, { id, ring, urls: () => tenantUrls(baseUrl(), id) });
  }
  const context: SimContext = { tenants: tenantMap, users, now, saml11: options.saml11 ?? false, logger };

  async function rollover(step: RolloverStep, tenant?: string): Promise<RolloverOutcome[]> {
    if (!ROLLOVER_STEPS.includes(step))
      throw new TypeError(`step must be one of ${ROLLOVER_STEPS.join(', ')}`);
    const rings =
      tenant === undefined ? [...tenantMap.values()].map((t) => t.ring) : [tenantMap.get(tenant)?.ring];
    const outcomes: RolloverOutcome[] = [];
    for (const ring of rings) {
      if (ring === undefined) throw new TypeError(`unknown tenant ${String(tenant)}`);
      outcomes.push(...(await runRolloverStep(ring, step, logger)));
    }
    return outcomes;
  }

  const app = Fastify({ logger: false, bodyLimit: 256 * 1024, trustProxy: false });
  await app.register(formbody, { bodyLimit: 256 * 1024 });
  app.setErrorHandler((error: FastifyError | ClaimsgateError, request, reply) =>
    sendError(context, error, request, reply),
  );
  app.get('/', (_request, reply) => sendHtml(reply, renderIndex(context)));
  registerMetadataRoutes(app, context);
  registerWsFedRoutes(app, context);
  registerSaml2Routes(app, context);
  registerOidcRoutes(app, context, createAuthorizationCodes({ now }));
  registerControlRoutes(app, context, rollover);
  await app.ready();

  let schedule: RolloverSchedule | undefined;
  return {
    get url(): string {
      return baseUrl();
    },
    app,
    tenants,
    users,
    tenantUrls(tenant = tenants[0]!): TenantUrls {
      const found = tenantMap.get(tenant);
      if (found === undefined) throw new TypeError(`unknown tenant ${tenant}`);
      return found.urls();
    },
    async start(): Promise<string> {
      await app.listen({ host, port: options.port });
      const address = app.server.address();
      if (typeof address === 'object' && address !== null) boundPort = address.port;
      if (options.rolloverEveryMs !== undefined) {
        schedule = startRolloverSchedule({
          rings: [...tenantMap.values()].map((t) => t.ring),
          everyMs: options.rolloverEveryMs,
          logger,
          ...(options.rolloverMode === undefined ? {} : { mode: options.rolloverMode }),
        });
      }
      logger({
        level: 'info',
        event: 'idp-sim.started',
        url: baseUrl(),
        tenants,
        rolloverEveryMs: options.rolloverEveryMs,
        rolloverMode: options.rolloverMode ?? 'announced',
      });
      return baseUrl();
    },
    async stop(): Promise<void> {
      await schedule?.stop();
      schedule = undefined;
      await app.close();
      logger({ level: 'info', event: 'idp-sim.stopped' });
    },
    rollover,
    keys: () => reportKeys(context),
  };
}
