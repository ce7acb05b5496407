/** How the admin sign-in throttle counts. */
export interface LoginThrottleOptions {
  /** Failures for one user name within the window that lock it. Default 5. */
  readonly maxFailures?: number;
  /** The window failures are counted in. Default 900 (15 minutes). */
  readonly windowSeconds?: number;
  /** How long a locked user name is refused. Default 900 (15 minutes). */
  readonly lockSeconds?: number;
  /** The most user names tracked at once; the memory used is bounded by it. Default 10,000. */
  readonly maxTrackedNames?: number;
}

/** An attempt the throttle let through: call `finish` once with its outcome. */
export interface AdmittedAttempt {
  readonly admitted: true;
  finish(succeeded: boolean, at: Date): void;
}

/** An attempt the throttle refused, and how long until the name may try again. */
export interface RefusedAttempt {
  readonly admitted: false;
  readonly retryAfterSeconds: number;
}

/** Counts failed admin sign-ins per user name, in memory. */
export interface LoginThrottle {
  /**
   * Asks to check a password for `name` (the stored, lower-case form) at
   * `at`. Refused while the name is locked, and while the failures counted
   * plus the attempts still being checked reach the limit — so a burst of
   * parallel guesses gets no more tries than a sequence.
   */
  begin(name: string, at: Date): AdmittedAttempt | RefusedAttempt;
  /** User names tracked now (for tests and metrics). */
  size(): number;
}

interface Entry {
  /** Failure times (epoch ms) within the window, oldest first. */
  failures: number[];
  /** Attempts admitted and not yet finished. */
  inFlight: number;
  /** Epoch ms until which the name is refused; 0 when it is not locked. */
  lockedUntil: number;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback;
  if (!Number.isSafeInteger(chosen) || chosen <= 0) throw new TypeError(`${name} must be a positive integer`);
  return chosen;
}

/**
 * Builds the throttle behind `POST /admin/login`: after `maxFailures` wrong
 * passwords for one user name within `windowSeconds`, every attempt for that
 * name is refused for `lockSeconds`, without checking the password (so a
 * guess made during the lock cannot succeed). A success clears the name's
 * failures.
 *
 * SECURITY: slows online password guessing against one account. The map is
 * bounded: when full, names with nothing to remember go first, then the
 * oldest unlocked ones, then the oldest locks — evicting a lock takes
 * `maxTrackedNames` failed attempts for other names, each costing a scrypt.
 * Per instance: behind a load balancer each instance counts on its own.
 *
 * @throws TypeError for an option that is not a positive integer.
 */
export function createLoginThrottle(options: LoginThrottleOptions = {}): LoginThrottle {
  const maxFailures = positiveInteger('maxFailures', options.maxFailures, 5);
  const windowMs = positiveInteger('windowSeconds', options.windowSeconds, 900) * 1000;
  const lockMs = positiveInteger('lockSeconds', options.lockSeconds, 900) * 1000;
  const maxTracked = positiveInteger('maxTrackedNames', options.maxTrackedNames, 10_000);
  const entries = new Map<string, Entry>();

  function prune(entry: Entry, now: number): void {
    if (entry.lockedUntil !== 0 && entry.lockedUntil <= now) {
      // A lock that ran out starts the name afresh.
      entry.lockedUntil = 0;
      entry.failures = [];
    }
    while (entry.failures.length > 0 && entry.failures[0]! <= now - windowMs) entry.failures.shift();
  }

  function isIdle(entry: Entry): boolean {
    return entry.inFlight === 0 && entry.lockedUntil === 0 && entry.failures.length === 0;
  }

  /** Makes room for one more name; entries with attempts in flight are never dropped. */
  function makeRoom(now: number): void {
    for (const [name, entry] of entries) {
      prune(entry, now);
      if (isIdle(entry)) entries.delete(name);
    }
    const candidates = [
      (entry: Entry) => entry.inFlight === 0 && entry.lockedUntil === 0,
      (entry: Entry) => entry.inFlight === 0,
    ];
    for (const candidate of candidates) {
      for (const [name, entry] of entries) {
        if (entries.size < maxTracked) return;
        if (candidate(entry)) entries.delete(name);
      }
    }
  }

  function entryOf(name: string, now: number): Entry {
    const known = entries.get(name);
    if (known !== undefined) {
      prune(known, now);
      return known;
    }
    if (entries.size >= maxTracked) makeRoom(now);
    const entry: Entry = { failures: [], inFlight: 0, lockedUntil: 0 };
    entries.set(name, entry);
    return entry;
  }

  return {
    begin(name, at) {
      const now = at.getTime();
      const entry = entryOf(name, now);
      if (entry.lockedUntil > now)
        return { admitted: false, retryAfterSeconds: Math.ceil((entry.lockedUntil - now) / 1000) };
      if (entry.failures.length + entry.inFlight >= maxFailures)
        return { admitted: false, retryAfterSeconds: 1 };
      entry.inFlight += 1;
      let finished = false;
      return {
        admitted: true,
        finish(succeeded, finishedAt) {
          if (finished) return;
          finished = true;
          const end = finishedAt.getTime();
          entry.inFlight -= 1;
          if (succeeded) {
            entry.failures = [];
            entry.lockedUntil = 0;
          } else {
            prune(entry, end);
            entry.failures.push(end);
            if (entry.failures.length >= maxFailures) entry.lockedUntil = end + lockMs;
          }
          // Re-inserted, so that the map's order is the order of last activity.
          entries.delete(name);
          if (!isIdle(entry)) entries.set(name, entry);
        },
      };
    },
    size: () => entries.size,
  };
}
