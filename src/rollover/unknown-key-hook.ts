import type { UnknownKeyEvent } from '../tokens/create-token-validator.js';
import type { TrustSnapshot } from '../tokens/trust-snapshot.js';
import type { IssuerRefresher } from './issuer-refresher.js';
import type { Logger } from './structured-log.js';
import type { TrustLoader } from './trust-loader.js';

/** What became of the unknown-key events, for a metrics endpoint. */
export interface UnknownKeyCounts {
  /** Events that started a metadata fetch (the first of a spacing window). */
  refreshes: number;
  /** Events that shared a fetch another event started or a refresh already under way (coalesced). */
  joined: number;
  /** Events that gave up waiting: the fetch they waited for did not end within the wait bound. */
  timedOut: number;
  /** Events whose issuer is unknown or has no metadata URL. */
  unmapped: number;
  /** Events refused at once: the pool was full, or their issuer held its fair share (see admitsWaitingToken). */
  overflow: number;
}

export interface UnknownKeyHookOptions {
  readonly loader: Pick<TrustLoader, 'records' | 'snapshot'>;
  readonly refresher: Pick<IssuerRefresher, 'refresh' | 'pending' | 'lastStartedAt'>;
  readonly now: () => Date;
  /** Least time between the starts of two fetches of one issuer that unknown keys cause. */
  readonly spacingMs: number;
  /** Longest a token waits for the fetch that can tell whether its key is published. */
  readonly waitMs: number;
  /** Most tokens waiting at once, over every issuer, shared fairly between issuers (see admitsWaitingToken). */
  readonly maxWaiting: number;
  readonly logger: Logger;
  readonly counts: UnknownKeyCounts;
}

/** The one fetch, per issuer, that the tokens arriving until it starts all wait for. */
interface TrailingFetch {
  readonly done: Promise<void>;
  /** When the latest waiting token arrived: a refresh another instance began later serves them all. */
  latestArrival: number;
  /** The tokens waiting, for the log line. */
  waiting: number;
  /** Whether the fetch has begun: a token arriving later needs the next one. */
  started: boolean;
  /** Ends the wait before the fetch begins (the engine stops): the tokens are refused. */
  cancel(): void;
}

/** The waiting pool as one token arrives: what {@link admitsWaitingToken} decides from. */
export interface WaitingPool {
  /** Tokens waiting now, over every issuer. */
  readonly waiting: number;
  /** Most tokens waiting at once (`maxWaitingTokens`). */
  readonly maxWaiting: number;
  /** Issuers with tokens waiting now (the arriving token's among them when it has some). */
  readonly issuersWaiting: number;
  /** Tokens of the arriving token's issuer waiting now. */
  readonly issuerWaiting: number;
}

/**
 * Whether a token may join the waiting pool: its issuer holds fewer than its
 * fair share, `max(1, ⌊maxWaiting / n⌋)` with `n` the issuers holding
 * waiting tokens counting its own, and the pool has room — or its issuer has
 * none waiting, which is always admitted.
 *
 * SECURITY (resources, fairness). What this guarantees, for a flood of
 * tokens naming one issuer's random keys:
 *
 * - the pool never holds more than `maxWaiting + n − 1` tokens (`n` the
 *   issuers waiting): past `maxWaiting` only an issuer's first token is
 *   admitted, and it adds the issuer to `n`;
 * - an issuer with nothing waiting is never refused: a flood at one issuer
 *   cannot refuse another issuer's token outright, full pool or not;
 * - no token takes its issuer past its fair share, so once several issuers
 *   wait, an issuer holding more (admitted while it was alone) falls to its
 *   share as its tokens end (within `unknownKeyWaitMs`) and the pool's room
 *   goes to the others, each up to its own share. An issuer alone may fill
 *   the whole pool.
 */
export function admitsWaitingToken(pool: WaitingPool): boolean {
  if (pool.issuerWaiting === 0) return true;
  // The issuer has tokens waiting, so it is one of the issuersWaiting.
  const share = Math.max(1, Math.floor(pool.maxWaiting / pool.issuersWaiting));
  return pool.issuerWaiting < share && pool.waiting < pool.maxWaiting;
}

/** The validator's unknown-key hook, and a way to end every wait when the engine stops. */
export interface UnknownKeyHook {
  readonly onUnknownKey: (event: UnknownKeyEvent) => Promise<TrustSnapshot | undefined>;
  /** Cancels the fetches not yet begun; their tokens are refused as they stand. */
  cancelAll(): void;
}

/**
 * Creates the validator's unknown-key hook. A token signed by a key its
 * issuer is not trusted with — unknown everywhere, or trusted for other
 * issuers only — is accepted when the issuer's metadata published that key
 * before the token arrived, whatever refreshes ran just before:
 *
 * - the token waits for a fetch of the issuer's metadata that *begins after
 *   it arrived* (a refresh under way began earlier: its result may predate
 *   the key, so the token waits for it and, if that did not bring the key,
 *   for the next);
 * - fetches that unknown keys cause begin at least `spacingMs` apart per
 *   issuer, counted from the start of any refresh of it (scheduled, manual,
 *   start-up): every token arriving in between shares the one trailing
 *   fetch, so floods of tokens naming random keys cost at most one fetch
 *   per issuer per spacing window, and a repeat fetch is a cheap
 *   conditional GET;
 * - a token waits at most `waitMs`, then is refused as it stands.
 *
 * Returns the trust to retry the token against, or undefined when no
 * refresh could help (the issuer is unknown or has no metadata URL, or the
 * wait ran out).
 */
export function createUnknownKeyHook(options: UnknownKeyHookOptions): UnknownKeyHook {
  const { loader, refresher, now, spacingMs, waitMs, maxWaiting, logger, counts } = options;
  /** Tokens waiting now, over every issuer. */
  let waitingNow = 0;
  /** Issuer ID → tokens waiting now for it (issuers with none are not kept). */
  const waitingFor = new Map<string, number>();
  /** Issuer ID → the trailing fetch not yet begun (or under way, until it settles). */
  const trailing = new Map<string, TrailingFetch>();

  function scheduleTrailing(
    issuerId: string,
    issuerName: string,
    event: UnknownKeyEvent,
    arrival: number,
  ): TrailingFetch {
    let resolveDone!: () => void;
    let cancelled = false;
    let wake: (() => void) | undefined;
    let spacingTimer: ReturnType<typeof setTimeout> | undefined;
    const entry: TrailingFetch = {
      done: new Promise<void>((resolve) => (resolveDone = resolve)),
      latestArrival: arrival,
      waiting: 1,
      started: false,
      cancel() {
        cancelled = true;
        if (spacingTimer !== undefined) clearTimeout(spacingTimer);
        wake?.();
      },
    };
    trailing.set(issuerId, entry);
    const run = async (): Promise<void> => {
      // Single flight: a refresh under way finishes first (it began before these tokens arrived).
      await refresher.pending(issuerId)?.catch(() => undefined);
      const last = refresher.lastStartedAt(issuerId);
      const delay = Math.max(0, last === undefined ? 0 : last + spacingMs - now().getTime());
      // Even without a delay, the fetch begins on a later turn of the event
      // loop, so that tokens arriving together share it. The timer keeps the
      // process alive on purpose: a token is waiting (a CLI run, say).
      await new Promise<void>((resolve) => {
        wake = resolve;
        spacingTimer = setTimeout(resolve, delay);
      });
      if (cancelled) return;
      entry.started = true;
      logger({
        level: 'info',
        event: 'refresh.unknown-key',
        issuerId,
        issuer: issuerName,
        sha1: event.sha1,
        sha256: event.sha256,
        kid: event.kid,
        waitingTokens: entry.waiting,
        spacedByMs: delay,
      });
      await refresher.refresh(
        issuerId,
        {
          reason: 'unknown-key',
          observed: { sha1: event.sha1, sha256: event.sha256, kid: event.kid },
          notBefore: new Date(entry.latestArrival),
        },
        false,
      );
    };
    void run()
      .catch((error: unknown) =>
        logger({
          level: 'error',
          event: 'refresh.unknown-key-failed',
          issuerId,
          issuer: issuerName,
          error: error instanceof Error ? error.message : String(error),
        }),
      )
      .finally(() => {
        if (trailing.get(issuerId) === entry) trailing.delete(issuerId);
        resolveDone();
      });
    return entry;
  }

  /** How the wait ended: the awaited fetch ended, `waitMs` ran out first, or the engine stopped. */
  function waitFor(entry: TrailingFetch): Promise<'fetched' | 'timed-out' | 'cancelled'> {
    return new Promise((resolve) => {
      const handle = setTimeout(() => resolve('timed-out'), waitMs);
      void entry.done.then(() => {
        clearTimeout(handle);
        resolve(entry.started ? 'fetched' : 'cancelled');
      });
    });
  }

  const onUnknownKey = async (event: UnknownKeyEvent): Promise<TrustSnapshot | undefined> => {
    const trusted = loader.snapshot().findIssuer(event.issuer);
    const issuer = trusted === undefined ? undefined : loader.records().issuerByUri(trusted.issuer);
    if (issuer === undefined || issuer.metadataUrl === null) {
      counts.unmapped += 1;
      return undefined;
    }
    // SECURITY (resources): each waiting token holds a request open; a flood of
    // tokens naming random keys while an issuer's endpoint hangs must not hold
    // them without bound, nor crowd out an honest token of another issuer that
    // has just rolled. Past its issuer's fair share, or a full pool, a token is
    // refused as it stands (see admitsWaitingToken).
    const issuerWaiting = waitingFor.get(issuer.id) ?? 0;
    const admitted = admitsWaitingToken({
      waiting: waitingNow,
      maxWaiting,
      issuersWaiting: waitingFor.size,
      issuerWaiting,
    });
    if (!admitted) {
      counts.overflow += 1;
      if (counts.overflow % 1000 === 1) {
        logger({ level: 'warn', event: 'refresh.unknown-key-overflow', waiting: waitingNow, maxWaiting });
      }
      return undefined;
    }
    const arrival = now().getTime();
    let entry = trailing.get(issuer.id);
    if (entry !== undefined && !entry.started) {
      // Coalesced: the fetch these tokens wait for has not begun, so it begins after this one arrived.
      entry.waiting += 1;
      entry.latestArrival = Math.max(entry.latestArrival, arrival);
      counts.joined += 1;
    } else {
      // Nothing waits yet, or the fetch under way began before this token arrived: the next one.
      entry = scheduleTrailing(issuer.id, issuer.name, event, arrival);
      counts.refreshes += 1;
    }
    waitingNow += 1;
    waitingFor.set(issuer.id, issuerWaiting + 1);
    const ended = await waitFor(entry).finally(() => {
      waitingNow -= 1;
      const left = (waitingFor.get(issuer.id) ?? 1) - 1;
      if (left === 0) waitingFor.delete(issuer.id);
      else waitingFor.set(issuer.id, left);
    });
    if (ended === 'cancelled') return undefined;
    if (ended === 'timed-out') {
      counts.timedOut += 1;
      logger({
        level: 'warn',
        event: 'refresh.unknown-key-wait-exceeded',
        issuerId: issuer.id,
        issuer: issuer.name,
        waitMs,
      });
      return undefined;
    }
    return loader.snapshot();
  };

  return {
    onUnknownKey,
    cancelAll() {
      for (const entry of trailing.values()) if (!entry.started) entry.cancel();
    },
  };
}
