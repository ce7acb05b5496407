import type { Session } from '../session/session-cookie.js';
import type { SessionRevocationRecord, StoreChange } from '../store/model.js';
import type { Store } from '../store/store.js';

/** Revoked sessions, as this instance knows them: checked on every request that trusts a session cookie. */
export interface SessionRevocations {
  /** True once the revocations have been read from the store at least once. */
  readonly loaded: boolean;
  /**
   * Reads every revocation in force from the store (one read in flight; a
   * request meanwhile is served by a second read right after).
   * @throws ClaimsgateError the store's `CG_STORE_*` failure.
   */
  reload(): Promise<void>;
  /** True when `session` was revoked: by its `sid`, or as one of its user's sessions started before a cut-off. */
  isRevoked(session: Session): boolean;
  /**
   * Revokes one session, in the store (so every instance refuses it) and in
   * this instance at once, until the session's own absolute end. On the
   * gateway's watched store (`createStoreOutage`), a store that cannot be
   * reached queues the revocation: it holds here at once and on the other
   * instances once the store is back.
   * @throws ClaimsgateError the store's `CG_STORE_*` failure (nothing is revoked then).
   */
  revoke(session: Session): Promise<void>;
  /** Reads the revocations and follows the store's changes; a failed first read is logged and retried. */
  start(): Promise<void>;
  stop(): void;
}

export interface SessionRevocationsOptions {
  readonly store: Store;
  readonly now: () => Date;
  /** Where a failed read is reported. */
  readonly warn: (facts: Record<string, unknown>, message: string) => void;
  /** A full re-read this often, whatever the change feed says (a backstop for missed notifications). Default 30 s. */
  readonly reloadIntervalMs?: number;
  /** Expired revocations are purged from the store this often. Default 10 minutes. */
  readonly purgeIntervalMs?: number;
}

interface Cutoff {
  readonly before: number;
  readonly expiresAt: number;
}

interface Known {
  /** sid → end of the revocation (epoch ms). */
  readonly sids: Map<string, number>;
  /** user → the latest cut-off: sessions that started at or before it are revoked. */
  readonly users: Map<string, Cutoff>;
}

function emptyKnown(): Known {
  return { sids: new Map(), users: new Map() };
}

function remember(known: Known, revocation: SessionRevocationRecord): void {
  const expiresAt = revocation.expiresAt.getTime();
  if (revocation.sid !== null) {
    known.sids.set(revocation.sid, Math.max(expiresAt, known.sids.get(revocation.sid) ?? 0));
    return;
  }
  if (revocation.user === null || revocation.revokedBefore === null) return;
  const before = revocation.revokedBefore.getTime();
  const current = known.users.get(revocation.user);
  if (current === undefined || before > current.before)
    known.users.set(revocation.user, { before, expiresAt: Math.max(expiresAt, current?.expiresAt ?? 0) });
}

/**
 * The revocation list of one gateway instance: every revocation in force,
 * held in memory (two maps: by sid, and the latest cut-off per user) so that
 * checking a request costs two map lookups, no store round trip. It is read
 * in full at start, again on every `session` change the store broadcasts
 * (this instance's own at commit; other instances' through LISTEN/NOTIFY on
 * PostgreSQL, within milliseconds), after the change feed reconnects, and
 * every `reloadIntervalMs` as a backstop. A revocation made here applies
 * here at once, before the store's broadcast is even read back.
 *
 * SECURITY: fails closed until the first read succeeds (the session hook
 * then reads again per request and answers the store's error); once loaded,
 * a failed re-read keeps the last list (logged): the revocations it holds
 * stay enforced while the store is unreachable, and nothing new can be
 * revoked meanwhile anyway.
 */
export function createSessionRevocations(options: SessionRevocationsOptions): SessionRevocations {
  const { store, now, warn } = options;
  const reloadIntervalMs = options.reloadIntervalMs ?? 30_000;
  const purgeIntervalMs = options.purgeIntervalMs ?? 600_000;
  let known = emptyKnown();
  let loaded = false;
  let inFlight: Promise<void> | undefined;
  let again = false;
  /** Revocations made here while a read was in flight: the read's answer may predate them. */
  let madeDuringRead: SessionRevocationRecord[] | undefined;
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  let purgeDueAt = 0;

  async function readOnce(): Promise<void> {
    madeDuringRead = [];
    try {
      const rows = await store.listSessionRevocations(now());
      const next = emptyKnown();
      for (const row of rows) remember(next, row);
      for (const row of madeDuringRead) remember(next, row);
      known = next;
      loaded = true;
    } finally {
      madeDuringRead = undefined;
    }
  }

  function reload(): Promise<void> {
    if (inFlight !== undefined) {
      again = true;
      return inFlight;
    }
    inFlight = (async () => {
      try {
        do {
          again = false;
          await readOnce();
        } while (again);
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  }

  function reloadInBackground(reason: string): void {
    reload().catch((error: unknown) => {
      warn({ err: error, reason }, 'session revocations could not be read; the last list stays in force');
    });
  }

  function onChange(change: StoreChange): void {
    // `refresh` without an issuer is the change feed's resynchronisation: notifications may have been missed.
    if (change.kind === 'session' || (change.kind === 'refresh' && change.issuerId === null))
      reloadInBackground(change.kind);
  }

  function tick(): void {
    reloadInBackground('interval');
    const at = now();
    if (at.getTime() < purgeDueAt) return;
    purgeDueAt = at.getTime() + purgeIntervalMs;
    // Housekeeping only: rows left behind are purged next time; expired rows are never read anyway.
    store.purgeSessionRevocations(at).catch(() => 0);
  }

  return {
    get loaded() {
      return loaded;
    },
    reload,
    isRevoked(session) {
      const at = now().getTime();
      const sidEnds = known.sids.get(session.sid);
      if (sidEnds !== undefined && sidEnds > at) return true;
      const cutoff = known.users.get(session.user);
      return (
        cutoff !== undefined && cutoff.expiresAt > at && session.authenticatedAt.getTime() <= cutoff.before
      );
    },
    async revoke(session) {
      const revocation = { sid: session.sid, expiresAt: session.expiresAt };
      await store.revokeSessions(revocation);
      const record: SessionRevocationRecord = { ...revocation, user: null, revokedBefore: null };
      remember(known, record);
      madeDuringRead?.push(record);
    },
    async start() {
      unsubscribe ??= store.onChange(onChange);
      if (timer === undefined) {
        timer = setInterval(tick, reloadIntervalMs);
        timer.unref();
      }
      try {
        await reload();
      } catch (error) {
        warn({ err: error }, 'session revocations could not be read at start; retrying on each request');
      }
    },
    stop() {
      unsubscribe?.();
      unsubscribe = undefined;
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
  };
}
