import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ClaimsgateError } from '../lib/errors.js';
import { sendApiError } from './api-error.js';
import type { GatewayServices } from './gateway-services.js';
import { routeOf } from './logging.js';

/** The bearer token of an `Authorization` header, or undefined. */
function bearerTokenOf(header: string | undefined): string | undefined {
  const match = /^Bearer[ ]+([!-~]+)[ ]*$/i.exec(header ?? '');
  return match?.[1];
}

/** SECURITY: compared as SHA-256 digests in constant time, so neither the token nor its length leaks through timing. */
function sameToken(given: string, expected: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Counts every answered request in the request histogram and, when
 * `metrics.enabled`, registers `GET /metrics`: the Prometheus text format,
 * never cached. With `metrics.bearerToken` set, a scrape without that
 * `Authorization: Bearer` token gets 401 `CG_GATEWAY_METRICS_UNAUTHORIZED`.
 * The admin session is never asked for: scrapers have none.
 */
export function registerMetricsRoutes(app: FastifyInstance, services: GatewayServices): void {
  const { config, metrics } = services;
  app.addHook('onResponse', (request, reply, done) => {
    metrics.recordRequest({
      method: request.method,
      route: routeOf(request),
      statusCode: reply.statusCode,
      durationSeconds: reply.elapsedTime / 1000,
    });
    done();
  });
  if (!config.metrics.enabled) return;
  const expected = config.metrics.bearerToken;

  app.get('/metrics', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    if (expected !== undefined) {
      const given = bearerTokenOf(request.headers.authorization);
      if (given === undefined || !sameToken(given, expected)) {
        request.log.warn({ route: '/metrics' }, 'metrics scrape refused: missing or wrong bearer token');
        reply.header('www-authenticate', 'Bearer realm="claimsgate-metrics"');
        return sendApiError(
          reply,
          401,
          new ClaimsgateError(
            'CG_GATEWAY_METRICS_UNAUTHORIZED',
            given === undefined
              ? 'The scrape carries no bearer token.'
              : 'The scrape carries a bearer token other than metrics.bearerToken.',
          ),
        );
      }
    }
    const text = await metrics.render();
    return reply.type(metrics.contentType).send(text);
  });
}
