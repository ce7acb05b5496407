import { createHash } from 'node:crypto';
import type { TestUser } from './test-users.js';

/** Azure AD's claim type URIs (the SAML attribute names it sends). */
export const CLAIM_TYPES = {
  tenantId: 'http://schemas.microsoft.com/identity/claims/tenantid',
  objectId: 'http://schemas.microsoft.com/identity/claims/objectidentifier',
  displayName: 'http://schemas.microsoft.com/identity/claims/displayname',
  identityProvider: 'http://schemas.microsoft.com/identity/claims/identityprovider',
  name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  givenName: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
  surname: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
  upn: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  emailAddress: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  groups: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups',
  role: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
} as const;

/** One SAML attribute: its claim type and values. */
export interface SamlClaim {
  readonly type: string;
  readonly values: readonly string[];
}

/**
 * The claims Azure AD puts in a SAML token for `user`: tenant and object IDs,
 * name (the UPN, as Azure AD sends it), display, given and surname, UPN,
 * e-mail, groups, and role when the user has app roles.
 */
export function samlClaims(user: TestUser, tenant: string, identityProvider: string): SamlClaim[] {
  const claims: SamlClaim[] = [
    { type: CLAIM_TYPES.tenantId, values: [tenant] },
    { type: CLAIM_TYPES.objectId, values: [user.objectId] },
    { type: CLAIM_TYPES.name, values: [user.upn] },
    { type: CLAIM_TYPES.displayName, values: [user.displayName] },
    { type: CLAIM_TYPES.identityProvider, values: [identityProvider] },
    { type: CLAIM_TYPES.givenName, values: [user.givenName] },
    { type: CLAIM_TYPES.surname, values: [user.surname] },
    { type: CLAIM_TYPES.upn, values: [user.upn] },
    { type: CLAIM_TYPES.emailAddress, values: [user.upn] },
  ];
  if (user.groups.length > 0) claims.push({ type: CLAIM_TYPES.groups, values: user.groups });
  if (user.roles.length > 0) claims.push({ type: CLAIM_TYPES.role, values: user.roles });
  return claims;
}

/**
 * A pairwise subject identifier: stable for one user and one relying party,
 * different across relying parties, as Azure AD's persistent NameID and
 * v2.0 `sub` are.
 */
export function pairwiseSubject(tenant: string, user: TestUser, audience: string): string {
  return createHash('sha256')
    .update(`${tenant}\u0000${user.objectId}\u0000${audience}`)
    .digest('base64url')
    .slice(0, 43);
}
