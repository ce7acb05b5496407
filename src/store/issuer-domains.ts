import { ClaimsgateError } from '../lib/errors.js';
import type { IssuerRecord } from './model.js';

/** Whether an issuer's (sorted) domain list changed, so that its issuer_domains rows must be written again. */
export function domainsChanged(before: readonly string[], after: readonly string[]): boolean {
  return before.length !== after.length || before.some((domain, index) => domain !== after[index]);
}

/**
 * `CG_STORE_DUPLICATE` for a domain another issuer holds, naming that
 * issuer (or saying it was freed meanwhile when it is gone by now).
 */
export function domainTakenError(domain: string, holder: IssuerRecord | undefined): ClaimsgateError {
  const by = holder === undefined ? 'another issuer' : `issuer ${JSON.stringify(holder.name)}`;
  return new ClaimsgateError(
    'CG_STORE_DUPLICATE',
    `The domain ${JSON.stringify(domain)} already belongs to ${by}; a domain signs in with one issuer only.`,
    {
      hint:
        holder === undefined
          ? 'Try again: the domain may have been freed meanwhile.'
          : `Take it off ${holder.name} first: claimsgate issuers edit ${holder.name} --domain <each domain it keeps> (or --no-domain).`,
      detail: {
        entity: 'issuer',
        field: 'domains',
        observed: domain,
        ...(holder === undefined ? {} : { holder: holder.name }),
      },
    },
  );
}
