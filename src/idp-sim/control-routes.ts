import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ClaimsgateError } from '../lib/errors.js';
import type { SimSigningKey } from './key-ring.js';
import { parametersOf, requestError } from './request-parameters.js';
import { ROLLOVER_STEPS, type RolloverOutcome, type RolloverStep } from './rollover.js';
import { findTenant, type SimContext } from './sim-context.js';

/** A key as `GET /control/keys` reports it. */
export interface KeyReport {
  readonly kid: string;
  readonly x5t: string;
  readonly state: string;
  readonly sha1: string;
  readonly sha256: string;
  readonly subject: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly createdAt: string;
  readonly stateChangedAt: string;
}

/** One tenant's keys, newest first. */
export interface TenantKeysReport {
  readonly tenant: string;
  readonly keys: readonly KeyReport[];
}

/** The facts of a key, without its private half. */
export function describeKey(key: SimSigningKey): KeyReport {
  return {
    kid: key.kid,
    x5t: key.kid,
    state: key.state,
    sha1: key.certificate.sha1,
    sha256: key.certificate.sha256,
    subject: key.certificate.subject,
    notBefore: key.certificate.notBefore.toISOString(),
    notAfter: key.certificate.notAfter.toISOString(),
    createdAt: key.createdAt.toISOString(),
    stateChangedAt: key.stateChangedAt.toISOString(),
  };
}

/** Every tenant's keys. */
export function reportKeys(context: SimContext): TenantKeysReport[] {
  return [...context.tenants.values()].map((tenant) => ({
    tenant: tenant.id,
    keys: tenant.ring.list().map(describeKey),
  }));
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

function requireLoopback(request: FastifyRequest): void {
  // SECURITY: the simulator binds loopback only; this refuses a control call
  // relayed from elsewhere all the same (a proxy in front, a changed bind).
  if (!isLoopback(request.socket.remoteAddress)) {
    throw new ClaimsgateError('CG_TOKEN_REQUEST_INVALID', 'Control calls are accepted from loopback only.', {
      detail: { parameter: 'remoteAddress', expected: '127.0.0.1 or ::1' },
    });
  }
}

/**
 * Registers the control endpoints: `GET /control/keys` (every key's state,
 * kid and thumbprints) and `POST /control/rollover` with
 * `{"step": "announce" | "switch" | "retire" | "full", "tenant"?: id}`,
 * which runs the step now on one tenant or all.
 */
export function registerControlRoutes(
  app: FastifyInstance,
  context: SimContext,
  rollover: (step: RolloverStep, tenant?: string) => Promise<RolloverOutcome[]>,
): void {
  app.get('/control/keys', (request) => {
    requireLoopback(request);
    return { tenants: reportKeys(context) };
  });
  app.post('/control/rollover', async (request) => {
    requireLoopback(request);
    const body = parametersOf(request.body);
    const step = body.step;
    if (typeof step !== 'string' || !(ROLLOVER_STEPS as readonly string[]).includes(step)) {
      throw requestError('step', 'The body must name a rollover step.', ROLLOVER_STEPS.join(', '));
    }
    const tenant = body.tenant;
    if (tenant !== undefined && typeof tenant !== 'string') {
      throw requestError('tenant', 'The tenant must be a string.', 'a tenant ID');
    }
    if (tenant !== undefined) findTenant(context, tenant);
    const outcomes = await rollover(step as RolloverStep, tenant);
    return { outcomes, tenants: reportKeys(context) };
  });
}
