import type { FastifyInstance } from 'fastify';
import type { GatewayServices } from './gateway-services.js';
import type { DrainState } from './shutdown.js';

/** The outcome of each readiness check. */
export interface ReadinessChecks {
  /** The store answered a query. */
  readonly store: 'ok' | 'failed';
  /** The rollover engine has loaded trust from the store at least once. */
  readonly trust: 'ok' | 'not-loaded';
}

/**
 * Registers `GET /healthz` (200 while the process serves requests) and
 * `GET /readyz` (200 when the store answers and the engine has loaded trust,
 * 503 otherwise, naming the failed check; 503 `{ status: 'draining' }` as soon
 * as a shutdown has begun, so load balancers stop sending new work).
 */
export function registerHealthRoutes(
  app: FastifyInstance,
  services: GatewayServices,
  drain?: Pick<DrainState, 'draining'>,
): void {
  const { store, engine } = services;

  app.get('/healthz', async (_request, reply) =>
    reply.header('cache-control', 'no-store').send({ status: 'ok' }),
  );

  app.get('/readyz', async (request, reply) => {
    if (drain?.draining === true) {
      return reply.code(503).header('cache-control', 'no-store').send({ status: 'draining' });
    }
    let storeCheck: ReadinessChecks['store'] = 'ok';
    try {
      await store.listRealms();
    } catch (error) {
      request.log.warn({ err: error }, 'readiness: the store did not answer');
      storeCheck = 'failed';
    }
    const checks: ReadinessChecks = {
      store: storeCheck,
      trust: engine.metrics().reloads > 0 ? 'ok' : 'not-loaded',
    };
    const ready = checks.store === 'ok' && checks.trust === 'ok';
    return reply
      .code(ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ status: ready ? 'ready' : 'not-ready', checks });
  });
}
