import { ClaimsgateError } from '../lib/errors.js';
import type { KeyRing } from './key-ring.js';
import { requestError } from './request-parameters.js';
import type { SimLogger } from './sim-logger.js';
import type { TenantUrls } from './tenant-urls.js';
import type { TestUser } from './test-users.js';

/** One simulated tenant: its keys and its URLs. */
export interface SimTenant {
  readonly id: string;
  readonly ring: KeyRing;
  /** Computed from the bound address, so that a server on port 0 names its real port. */
  urls(): TenantUrls;
}

/** What every route of the simulator shares. */
export interface SimContext {
  readonly tenants: ReadonlyMap<string, SimTenant>;
  readonly users: readonly TestUser[];
  readonly now: () => Date;
  /** Issue SAML 1.1 instead of SAML 2.0 in WS-Federation by default. */
  readonly saml11: boolean;
  readonly logger: SimLogger;
}

/**
 * The tenant named in a request path.
 *
 * @throws ClaimsgateError `CG_TOKEN_REQUEST_TENANT_UNKNOWN` when the simulator does not serve it.
 */
export function findTenant(context: SimContext, id: string): SimTenant {
  const tenant = context.tenants.get(id);
  if (tenant === undefined) {
    throw new ClaimsgateError(
      'CG_TOKEN_REQUEST_TENANT_UNKNOWN',
      `The IdP simulator serves no tenant "${id.slice(0, 64)}".`,
      { detail: { observed: id.slice(0, 64), expected: [...context.tenants.keys()] } },
    );
  }
  return tenant;
}

/**
 * The test user picked on the sign-in page.
 *
 * @throws ClaimsgateError `CG_TOKEN_REQUEST_INVALID` when no such user exists.
 */
export function findUser(context: SimContext, id: string): TestUser {
  const user = context.users.find((candidate) => candidate.id === id);
  if (user === undefined) {
    throw requestError(
      'user',
      `There is no test user "${id.slice(0, 64)}".`,
      context.users.map((u) => u.id).join(', '),
    );
  }
  return user;
}
