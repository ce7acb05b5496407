import type { FastifyInstance } from 'fastify';
import { isStoreUnreachable } from '../store/store-errors.js';
import type { GatewayServices } from './gateway-services.js';
import type { DrainState } from './shutdown.js';

/** The outcome of each readiness check. */
export interface ReadinessChecks {
  /**
   * `ok`: the store answered a query. `unreachable`: it cannot be reached
   * (known from the outage watch, without trying it again). `failed`: it
   * answered with an error of its own (a table missing, a permission refused).
   */
  readonly store: 'ok' | 'unreachable' | 'failed';
  /** The rollover engine has loaded trust from the store at least once. */
  readonly trust: 'ok' | 'not-loaded';
}

/** The body of `/readyz`. */
export interface Readiness {
  readonly status: 'ready' | 'degraded' | 'not-ready';
  readonly checks: ReadinessChecks;
  /** Why it is degraded or not ready, in a sentence. */
  readonly reason?: string;
  /** When the store's outage began. */
  readonly since?: string;
}

/**
 * The readiness of the gateway from its checks: `ready` when the store
 * answers and trust is loaded; `degraded` when the store cannot be reached
 * but the gateway still signs users in (trust in memory, replay IDs decided
 * locally: `database.outage.replayCache: local`); `not-ready` otherwise. Pure.
 */
export function judgeReadiness(
  checks: ReadinessChecks,
  replayCache: 'local' | 'refuse',
  since?: Date,
): Readiness {
  const outage = since === undefined ? {} : { since: since.toISOString() };
  if (checks.trust !== 'ok')
    return { status: 'not-ready', checks, reason: 'The trust has not been loaded from the store yet.' };
  if (checks.store === 'ok') return { status: 'ready', checks };
  if (checks.store === 'unreachable' && replayCache === 'local') {
    return {
      status: 'degraded',
      checks,
      reason:
        'The store cannot be reached: users are signed in from the trust in memory, replay IDs are checked locally and records wait to be written.',
      ...outage,
    };
  }
  return {
    status: 'not-ready',
    checks,
    reason:
      checks.store === 'unreachable'
        ? 'The store cannot be reached and database.outage.replayCache is refuse: sign-ins fail until it answers.'
        : 'The store answers with errors.',
    ...outage,
  };
}

/**
 * Registers `GET /healthz` (200 while the process serves requests; no I/O)
 * and `GET /readyz`: 200 `ready` when the store answers and the engine has
 * loaded trust; 200 `degraded`, with the reason and when the outage began,
 * while the store cannot be reached but sign-ins go on (see
 * `judgeReadiness`); 503 `not-ready` naming the failed check otherwise; 503
 * `{ status: 'draining' }` as soon as a shutdown has begun, so load
 * balancers stop sending new work. While an outage is known, `/readyz` does
 * not try the store itself (the outage watch probes it): it stays cheap.
 */
export function registerHealthRoutes(
  app: FastifyInstance,
  services: GatewayServices,
  drain?: Pick<DrainState, 'draining'>,
): void {
  const { store, engine, storeOutage, config } = services;

  app.get('/healthz', async (_request, reply) =>
    reply.header('cache-control', 'no-store').send({ status: 'ok' }),
  );

  app.get('/readyz', async (request, reply) => {
    if (drain?.draining === true) {
      return reply.code(503).header('cache-control', 'no-store').send({ status: 'draining' });
    }
    let storeCheck: ReadinessChecks['store'] = 'ok';
    if (!storeOutage.reachable) storeCheck = 'unreachable';
    else {
      try {
        await store.listRealms();
      } catch (error) {
        request.log.warn({ err: error }, 'readiness: the store did not answer');
        storeCheck = isStoreUnreachable(error) ? 'unreachable' : 'failed';
      }
    }
    const checks: ReadinessChecks = {
      store: storeCheck,
      trust: engine.metrics().reloads > 0 ? 'ok' : 'not-loaded',
    };
    const readiness = judgeReadiness(checks, config.database.outage.replayCache, storeOutage.status().since);
    return reply
      .code(readiness.status === 'not-ready' ? 503 : 200)
      .header('cache-control', 'no-store')
      .send(readiness);
  });
}
