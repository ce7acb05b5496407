import { ClaimsgateError } from '../lib/errors.js';
import type { NewSession } from '../session/session-cookie.js';
import type { ClaimMappingRecord, IssuerRecord } from '../store/model.js';
import type { VerifiedIdentity } from '../tokens/identity.js';

/** The session claim that carries the mapped groups, when the issuer's mapping names a group claim. */
export const GROUPS_CLAIM = 'groups';

/**
 * Turns a verified identity into the session to issue, with the issuer's
 * claim mapping: the user is `label:name`, the name read from the mapping's
 * name claim; without a mapping (or without that claim) the issuer's label
 * and the token's subject. The session's claims are the token's claims, plus
 * `groups` from the mapping's group claim. The session starts now (the
 * token's issue instant is not its start).
 *
 * @throws ClaimsgateError CG_TOKEN_STRUCTURE_INVALID when the token names nobody
 *   (no mapped name claim and no subject).
 */
export function mapIdentity(
  identity: VerifiedIdentity,
  issuer: IssuerRecord,
  mapping: ClaimMappingRecord | undefined,
): NewSession {
  const mappedName = mapping === undefined ? undefined : identity.claims[mapping.nameClaim]?.[0];
  const label = mapping !== undefined && mappedName !== undefined ? mapping.label : issuer.label;
  const name = mappedName ?? identity.subject;
  if (name === undefined || name === '') {
    throw new ClaimsgateError(
      'CG_TOKEN_STRUCTURE_INVALID',
      'The token names no user: no name claim and no subject.',
      {
        hint: `Map a claim the issuer sends as the user name: claimsgate mappings add --issuer ${issuer.name} --label <label> --name-claim <claim type>`,
        detail: { issuer: issuer.issuerUri, expected: mapping?.nameClaim ?? 'a subject' },
      },
    );
  }
  const claims: Record<string, readonly string[]> = { ...identity.claims };
  if (mapping?.groupClaim !== undefined && mapping.groupClaim !== null) {
    claims[GROUPS_CLAIM] = identity.claims[mapping.groupClaim] ?? [];
  }
  return {
    user: `${label}:${name}`,
    issuer: issuer.name,
    claims,
    // SECURITY: no authenticatedAt from the token: the session's absolute lifetime
    // counts from the sign-in on the gateway's clock, never from the issuer's word.
  };
}
