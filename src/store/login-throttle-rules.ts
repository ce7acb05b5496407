import { invalid } from './input-values.js';

/*
 * The admin sign-in throttle's rules, one pure function per step, shared by
 * both backends: each backend reads the attempt's rows, asks these functions
 * what to write, and writes it in the same transaction.
 */

/** What a throttle row counts: one (account, address) pair, one client address, or one account. */
export type LoginThrottleScope = 'pair' | 'address' | 'account';

/** The three rows an attempt touches, in the order they are locked. */
export const LOGIN_THROTTLE_SCOPES: readonly LoginThrottleScope[] = ['account', 'address', 'pair'];

/** One sign-in attempt: the account (its stored, lower-case name) and the client address (see the server's `addressKey`). */
export interface LoginAttempt {
  readonly account: string;
  readonly address: string;
}

/** How failures are counted and for how long they lock. */
export interface LoginThrottlePolicy {
  /** Failures of one account from one address within the window that lock that pair. */
  readonly pairFailures: number;
  /** Failures from one address, whatever the account, that lock the address. */
  readonly addressFailures: number;
  /** Failures for one account, from every address, that lock it for addresses it never signed in from. */
  readonly accountFailures: number;
  readonly windowSeconds: number;
  readonly lockSeconds: number;
  /** An address the account signed in from this recently is known: the account lock does not apply to it. */
  readonly knownAddressSeconds: number;
}

/** One counter, as stored. */
export interface LoginThrottleRow {
  readonly scope: LoginThrottleScope;
  readonly key: string;
  /** Attempts counted in the window: every admitted attempt counts until it succeeds. */
  readonly failures: number;
  readonly windowStartedAt: Date;
  readonly lockedUntil: Date | null;
  /** Pairs only: the last successful sign-in from this address. */
  readonly lastSuccessAt: Date | null;
  /** When the row has nothing left to remember (purged after). */
  readonly expiresAt: Date;
}

/** The throttle's answer to an attempt. */
export type LoginAttemptDecision =
  | { readonly admitted: true }
  | { readonly admitted: false; readonly scope: LoginThrottleScope; readonly retryAfterSeconds: number };

/** The longest account name or address kept. */
const MAX_KEY_LENGTH = 256;

function checkKey(field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.length > MAX_KEY_LENGTH || /[\s]/.test(value))
    throw invalid(field, `1 to ${MAX_KEY_LENGTH} characters without spaces`, value);
  return value;
}

/** The attempt checked, with the row key of each scope. */
export function throttleKeys(attempt: LoginAttempt): Record<LoginThrottleScope, string> {
  const account = checkKey('account', attempt?.account);
  const address = checkKey('address', attempt?.address);
  return { account, address, pair: `${account} ${address}` };
}

/** @throws ClaimsgateError `CG_STORE_INVALID` for a policy value that is not a positive whole number. */
export function checkPolicy(policy: LoginThrottlePolicy): LoginThrottlePolicy {
  for (const name of [
    'pairFailures',
    'addressFailures',
    'accountFailures',
    'windowSeconds',
    'lockSeconds',
    'knownAddressSeconds',
  ] as const) {
    const value = policy?.[name];
    if (!Number.isSafeInteger(value) || value <= 0) throw invalid(name, 'a positive whole number', value);
  }
  return policy;
}

function limitOf(scope: LoginThrottleScope, policy: LoginThrottlePolicy): number {
  return scope === 'pair'
    ? policy.pairFailures
    : scope === 'address'
      ? policy.addressFailures
      : policy.accountFailures;
}

function expiryOf(row: Omit<LoginThrottleRow, 'expiresAt'>, policy: LoginThrottlePolicy): Date {
  const ends = [row.windowStartedAt.getTime() + policy.windowSeconds * 1000];
  if (row.lockedUntil !== null) ends.push(row.lockedUntil.getTime());
  if (row.lastSuccessAt !== null) ends.push(row.lastSuccessAt.getTime() + policy.knownAddressSeconds * 1000);
  return new Date(Math.max(...ends));
}

/** A row as it stands at `now`: a window or a lock that has run out starts afresh. */
function current(
  scope: LoginThrottleScope,
  key: string,
  stored: LoginThrottleRow | undefined,
  now: Date,
  policy: LoginThrottlePolicy,
): LoginThrottleRow {
  const at = now.getTime();
  const lastSuccessAt = stored?.lastSuccessAt ?? null;
  if (stored !== undefined) {
    const locked = stored.lockedUntil !== null && stored.lockedUntil.getTime() > at;
    const inWindow = at < stored.windowStartedAt.getTime() + policy.windowSeconds * 1000;
    // A lock that has run out, or a window that has, starts the row afresh (a success is remembered).
    if (locked || (inWindow && stored.lockedUntil === null)) return stored;
  }
  const fresh = { scope, key, failures: 0, windowStartedAt: now, lockedUntil: null, lastSuccessAt };
  return { ...fresh, expiresAt: expiryOf(fresh, policy) };
}

/**
 * Decides an attempt and what to write. Refused while the pair is locked,
 * the address is locked, or the account is locked and this address is not
 * one it signed in from within `knownAddressSeconds`. Admitted, it counts as
 * a failure in all three rows at once (so attempts still being checked
 * count: a parallel burst gets no more tries than a sequence); reaching a
 * row's limit locks that row for `lockSeconds`. A success takes its count
 * back ({@link planSuccess}).
 */
export function planAttempt(
  keys: Record<LoginThrottleScope, string>,
  stored: ReadonlyMap<LoginThrottleScope, LoginThrottleRow>,
  now: Date,
  policy: LoginThrottlePolicy,
): { readonly decision: LoginAttemptDecision; readonly writes: readonly LoginThrottleRow[] } {
  const at = now.getTime();
  const rows = LOGIN_THROTTLE_SCOPES.map((scope) =>
    current(scope, keys[scope], stored.get(scope), now, policy),
  );
  const pair = rows.find((row) => row.scope === 'pair')!;
  const known =
    pair.lastSuccessAt !== null && at - pair.lastSuccessAt.getTime() < policy.knownAddressSeconds * 1000;
  const blocking = rows.filter(
    (row) =>
      row.lockedUntil !== null && row.lockedUntil.getTime() > at && !(row.scope === 'account' && known),
  );
  if (blocking.length > 0) {
    const longest = blocking.reduce((a, b) => (a.lockedUntil! >= b.lockedUntil! ? a : b));
    return {
      decision: {
        admitted: false,
        scope: longest.scope,
        retryAfterSeconds: Math.max(1, Math.ceil((longest.lockedUntil!.getTime() - at) / 1000)),
      },
      writes: rows,
    };
  }
  const writes = rows.map((row) => {
    const failures = row.failures + 1;
    const lockedUntil =
      failures >= limitOf(row.scope, policy) ? new Date(at + policy.lockSeconds * 1000) : row.lockedUntil;
    const next = { ...row, failures, lockedUntil };
    return { ...next, expiresAt: expiryOf(next, policy) };
  });
  return { decision: { admitted: true }, writes };
}

/**
 * What a successful sign-in writes: the pair starts afresh and remembers the
 * success (the address becomes known for the account); the address and the
 * account take back the count of this attempt, and lose a lock they no
 * longer reach.
 */
export function planSuccess(
  keys: Record<LoginThrottleScope, string>,
  stored: ReadonlyMap<LoginThrottleScope, LoginThrottleRow>,
  now: Date,
  policy: LoginThrottlePolicy,
): readonly LoginThrottleRow[] {
  return LOGIN_THROTTLE_SCOPES.map((scope) => {
    const row = current(scope, keys[scope], stored.get(scope), now, policy);
    if (scope === 'pair') {
      const fresh = { ...row, failures: 0, windowStartedAt: now, lockedUntil: null, lastSuccessAt: now };
      return { ...fresh, expiresAt: expiryOf(fresh, policy) };
    }
    const failures = Math.max(0, row.failures - 1);
    const lockedUntil = failures < limitOf(scope, policy) ? null : row.lockedUntil;
    const next = { ...row, failures, lockedUntil };
    return { ...next, expiresAt: expiryOf(next, policy) };
  });
}
