import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import type { SimSigningKey } from './key-ring.js';
import type { TestUser } from './test-users.js';
import { pairwiseSubject } from './user-claims.js';

/** What an id_token or access token is issued for. */
export interface OidcTokenInput {
  readonly key: SimSigningKey;
  /** `<base>/<tenant>/v2.0`. */
  readonly issuer: string;
  readonly tenant: string;
  readonly user: TestUser;
  readonly clientId: string;
  readonly issuedAt: Date;
  readonly lifetimeSeconds: number;
  readonly nonce?: string | undefined;
  readonly scope?: string;
}

function sign(payload: Record<string, unknown>, key: SimSigningKey): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid, x5t: key.kid })
    .sign(key.privateKey);
}

function commonClaims(input: OidcTokenInput): Record<string, unknown> {
  const iat = Math.floor(input.issuedAt.getTime() / 1000);
  return {
    ver: '2.0',
    iss: input.issuer,
    aud: input.clientId,
    iat,
    nbf: iat,
    exp: iat + input.lifetimeSeconds,
    tid: input.tenant,
    // Entra ID's v2.0 `sub` is pairwise: one per user and application.
    sub: pairwiseSubject(input.tenant, input.user, input.clientId),
    oid: input.user.objectId,
    name: input.user.displayName,
    preferred_username: input.user.upn,
    email: input.user.upn,
    uti: randomBytes(16).toString('base64url'),
    ...(input.user.groups.length > 0 ? { groups: [...input.user.groups] } : {}),
    ...(input.user.roles.length > 0 ? { roles: [...input.user.roles] } : {}),
  };
}

/**
 * An id_token as Entra ID v2.0 issues it, RS256-signed by `input.key` with
 * `kid` and `x5t` headers.
 *
 * @see OpenID Connect Core 1.0 §2 (ID Token)
 */
export function signIdToken(input: OidcTokenInput): Promise<string> {
  return sign(
    { ...commonClaims(input), ...(input.nonce === undefined ? {} : { nonce: input.nonce }) },
    input.key,
  );
}

/** An access token of the same shape, addressed to the client, with the granted scopes in `scp`. */
export function signAccessToken(input: OidcTokenInput): Promise<string> {
  return sign({ ...commonClaims(input), scp: input.scope ?? 'openid' }, input.key);
}
