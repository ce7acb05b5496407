import { randomBytes } from 'node:crypto';
import { ClaimsgateError } from '../lib/errors.js';
import type { TestUser } from './test-users.js';

/** What an authorization code stands for. */
export interface CodeGrant {
  readonly tenant: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly user: TestUser;
  readonly scope: string;
  readonly nonce: string | undefined;
}

/** One-time authorization codes, each valid for a short while. */
export interface AuthorizationCodes {
  /** Issues a code for `grant`. */
  issue(grant: CodeGrant): string;
  /**
   * Redeems a code once: it must exist, be unexpired and unused, and have
   * been issued to this client, redirect URI and tenant.
   *
   * @throws ClaimsgateError `CG_TOKEN_GRANT_INVALID` otherwise.
   */
  redeem(code: string, request: { tenant: string; clientId: string; redirectUri: string }): CodeGrant;
}

/** Options of {@link createAuthorizationCodes}. */
export interface AuthorizationCodesOptions {
  readonly now: () => Date;
  /** Default 60 000. */
  readonly lifetimeMs?: number;
  /** Most codes outstanding at once; the oldest are dropped beyond it. Default 1000. */
  readonly maxOutstanding?: number;
}

function grantError(message: string, reason: string): ClaimsgateError {
  return new ClaimsgateError('CG_TOKEN_GRANT_INVALID', message, { detail: { parameter: 'code', reason } });
}

/**
 * An in-memory store of authorization codes: random, one-time, 60 seconds,
 * bound to client, redirect URI and tenant.
 *
 * @see RFC 6749 §4.1.2 (code lifetime and single use), §4.1.3 (redeeming)
 */
export function createAuthorizationCodes(options: AuthorizationCodesOptions): AuthorizationCodes {
  const lifetimeMs = options.lifetimeMs ?? 60_000;
  const maxOutstanding = options.maxOutstanding ?? 1000;
  const codes = new Map<string, { grant: CodeGrant; expiresAt: number }>();
  const sweep = (now: number): void => {
    for (const [code, entry] of codes) if (entry.expiresAt <= now) codes.delete(code);
    // A Map iterates in insertion order: the first entries are the oldest.
    for (const code of codes.keys()) {
      if (codes.size < maxOutstanding) break;
      codes.delete(code);
    }
  };
  return {
    issue(grant: CodeGrant): string {
      const now = options.now().getTime();
      sweep(now);
      const code = randomBytes(32).toString('base64url');
      codes.set(code, { grant, expiresAt: now + lifetimeMs });
      return code;
    },
    redeem(code, request): CodeGrant {
      const entry = codes.get(code);
      // SECURITY: single use — the code is gone before anything else is checked,
      // so a failed or intercepted redemption cannot be retried.
      codes.delete(code);
      if (entry === undefined)
        throw grantError('The authorization code is unknown or was already used.', 'unknown');
      if (entry.expiresAt <= options.now().getTime())
        throw grantError('The authorization code has expired.', 'expired');
      const { grant } = entry;
      if (grant.tenant !== request.tenant || grant.clientId !== request.clientId)
        throw grantError('The authorization code was issued to another client.', 'client');
      if (grant.redirectUri !== request.redirectUri)
        throw grantError('The redirect_uri differs from the one the code was issued for.', 'redirect_uri');
      return grant;
    },
  };
}
