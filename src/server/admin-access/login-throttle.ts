import { isIP } from 'node:net';
import type { LoginThrottlePolicy, LoginThrottleScope } from '../../store/login-throttle-rules.js';
import type { Store } from '../../store/store.js';

/** The default throttle: see `docs/admin-accounts.md` (Lockout) for the trade-off. */
export const DEFAULT_LOGIN_THROTTLE_POLICY: LoginThrottlePolicy = Object.freeze({
  pairFailures: 5,
  addressFailures: 20,
  accountFailures: 100,
  windowSeconds: 900,
  lockSeconds: 900,
  knownAddressSeconds: 90 * 86_400,
});

/** Expired counters are purged from the store at most this often. */
const PURGE_INTERVAL_MS = 10 * 60_000;

/** An attempt the throttle let through: call `finish` once with its outcome. */
export interface AdmittedAttempt {
  readonly admitted: true;
  finish(succeeded: boolean, at: Date): Promise<void>;
}

/** An attempt the throttle refused: which counter locked it, and how long until it may try again. */
export interface RefusedAttempt {
  readonly admitted: false;
  readonly scope: LoginThrottleScope;
  readonly retryAfterSeconds: number;
}

/** Counts failed admin sign-ins per account, per client address and per pair, in the store. */
export interface LoginThrottle {
  /**
   * Asks to check a password for `account` (the stored, lower-case name)
   * from `clientIp` at `at`. The attempt counts as a failure until
   * `finish(true)` takes it back, so a parallel burst gets no more tries than
   * a sequence, and an attempt cut short by a crash counts.
   * @throws ClaimsgateError the store's `CG_STORE_*` failure (the sign-in is then refused, not let through).
   */
  begin(account: string, clientIp: string, at: Date): Promise<AdmittedAttempt | RefusedAttempt>;
}

export interface LoginThrottleOptions {
  readonly store: Store;
  /** Default {@link DEFAULT_LOGIN_THROTTLE_POLICY}. */
  readonly policy?: LoginThrottlePolicy;
}

/**
 * The key a client address is counted under: an IPv4 address as it is (an
 * IPv4-mapped IPv6 address as its IPv4 form), an IPv6 address by its /64
 * prefix — one subscriber's whole allocation, or an attacker would get 2^64
 * addresses to rotate through.
 */
export function addressKey(ip: string): string {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(bare);
  if (mapped !== null) return mapped[1]!;
  if (isIP(bare) !== 6) return bare === '' ? 'unknown' : bare;
  const [head = '', tail = ''] = bare.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = bare.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

/**
 * The throttle behind `POST /admin/login`, kept in the store so that every
 * instance sharing it counts together (PostgreSQL) and a restart forgets
 * nothing. Per (account, address) pair, `pairFailures` failures within
 * `windowSeconds` lock the pair for `lockSeconds`; per address,
 * `addressFailures` (whatever the accounts) lock the address; per account,
 * `accountFailures` from all addresses lock the account — but not for an
 * address it signed in from within `knownAddressSeconds`. A locked attempt is
 * refused without checking the password, so a guess made during a lock cannot
 * succeed. Expired counters are purged at most every ten minutes.
 *
 * SECURITY: slows online guessing of one account (pair and account limits),
 * password spraying from one address (address limit), and spraying from
 * many addresses (account limit), while an attacker who knows an admin's name
 * cannot lock the admin out of the addresses the admin uses.
 */
export function createLoginThrottle(options: LoginThrottleOptions): LoginThrottle {
  const { store } = options;
  const policy = options.policy ?? DEFAULT_LOGIN_THROTTLE_POLICY;
  let purgeDueAt = 0;

  return {
    async begin(account, clientIp, at) {
      if (at.getTime() >= purgeDueAt) {
        purgeDueAt = at.getTime() + PURGE_INTERVAL_MS;
        // Housekeeping only: rows left behind are purged next time.
        await store.purgeAdminLoginThrottle(at).catch(() => 0);
      }
      const attempt = { account, address: addressKey(clientIp) };
      const decision = await store.beginAdminLoginAttempt(attempt, at, policy);
      if (!decision.admitted) return decision;
      let finished = false;
      return {
        admitted: true,
        async finish(succeeded, finishedAt) {
          if (finished) return;
          finished = true;
          // A failure is already counted; only a success is written.
          if (succeeded) await store.recordAdminLoginSuccess(attempt, finishedAt, policy);
        },
      };
    },
  };
}
