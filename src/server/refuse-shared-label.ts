import { ClaimsgateError } from '../lib/errors.js';
import type { IssuerRecord } from '../store/model.js';
import type { GatewayDirectory } from './gateway-directory.js';

/**
 * Refuses a sign-in through an issuer that shares a label with another
 * issuer. The store refuses such labels when they are written; a store
 * written before labels were unique may still hold some, and their users
 * would reach applications as the same users (`SIM:alice` from a partner
 * issuer and from the real one). They are flagged everywhere issuers are
 * shown (a critical `label-shared` alert) and refused here until relabelled.
 *
 * @throws ClaimsgateError `CG_TRUST_LABEL_SHARED` naming the label and the issuers.
 */
export async function refuseSharedLabel(
  directory: Pick<GatewayDirectory, 'labelConflicts'>,
  issuer: Pick<IssuerRecord, 'id' | 'name' | 'issuerUri'>,
): Promise<void> {
  const shared = (await directory.labelConflicts()).find((conflict) =>
    conflict.issuers.some((owner) => owner.id === issuer.id),
  );
  if (shared === undefined) return;
  // SECURITY: fail closed — an identity that two issuers can produce names nobody for sure.
  throw new ClaimsgateError(
    'CG_TRUST_LABEL_SHARED',
    `Issuer ${issuer.name} shares the identity label ${JSON.stringify(shared.label)} with ${shared.issuers
      .filter((owner) => owner.id !== issuer.id)
      .map((owner) => owner.name)
      .join(', ')}: its users would be indistinguishable from theirs.`,
    {
      detail: {
        issuer: issuer.issuerUri,
        observed: shared.label,
        issuers: shared.issuers.map((owner) => owner.name),
      },
    },
  );
}
