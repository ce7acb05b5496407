import type { IssuerRecord, KeyRecord, RefreshStateRecord } from '../store/model.js';
import type { Store } from '../store/store.js';
import { KEY_STATES } from '../store/key-schema.js';
import { USABLE_KEY_STATES, type KeyState } from '../tokens/trust-snapshot.js';

/** Every key state, in the order the admin surfaces and `/metrics` list them (declared with the key's schema). */
export { KEY_STATES };

/** What `/metrics` says about one issuer, read from the store. */
export interface IssuerFigures {
  /** The issuer's name: a label value an administrator chose, bounded by the issuers table. */
  readonly issuer: string;
  /** How many of its keys are in each state (every state present, 0 when none). */
  readonly keysByState: Readonly<Record<KeyState, number>>;
  /** Refresh figures; undefined for a manual issuer (no metadata URL), which never refreshes. */
  readonly refresh?: {
    readonly intervalSeconds: number;
    /** The last successful refresh; null when none has succeeded yet. */
    readonly lastSuccessAt: Date | null;
    readonly consecutiveFailures: number;
  };
  /** The `notAfter` of the usable key that expires first, and of the one that expires last; null when no usable key has one. */
  readonly soonestExpiry: Date | null;
  readonly latestExpiry: Date | null;
}

/** The figures of one issuer from its keys and refresh state. Pure. */
export function summariseIssuer(
  issuer: Pick<IssuerRecord, 'name' | 'metadataUrl' | 'refreshIntervalSeconds'>,
  keys: readonly Pick<KeyRecord, 'state' | 'notAfter'>[],
  refreshState: Pick<RefreshStateRecord, 'lastSuccessAt' | 'consecutiveFailures'> | undefined,
): IssuerFigures {
  const keysByState = Object.fromEntries(KEY_STATES.map((state) => [state, 0])) as Record<KeyState, number>;
  let soonest: number | undefined;
  let latest: number | undefined;
  for (const key of keys) {
    keysByState[key.state] += 1;
    if (!USABLE_KEY_STATES.has(key.state) || key.notAfter === null) continue;
    const at = key.notAfter.getTime();
    soonest = soonest === undefined ? at : Math.min(soonest, at);
    latest = latest === undefined ? at : Math.max(latest, at);
  }
  return {
    issuer: issuer.name,
    keysByState,
    ...(issuer.metadataUrl === null
      ? {}
      : {
          refresh: {
            intervalSeconds: issuer.refreshIntervalSeconds,
            lastSuccessAt: refreshState?.lastSuccessAt ?? null,
            consecutiveFailures: refreshState?.consecutiveFailures ?? 0,
          },
        }),
    soonestExpiry: soonest === undefined ? null : new Date(soonest),
    latestExpiry: latest === undefined ? null : new Date(latest),
  };
}

/** What figures are computed from when they come from memory (the rollover engine's loaded records). */
export interface FiguresRecords {
  readonly issuers: readonly Pick<IssuerRecord, 'id' | 'name' | 'metadataUrl' | 'refreshIntervalSeconds'>[];
  keysOf(issuerId: string): readonly Pick<KeyRecord, 'state' | 'notAfter'>[];
  readonly states: ReadonlyMap<string, Pick<RefreshStateRecord, 'lastSuccessAt' | 'consecutiveFailures'>>;
}

/** Every issuer's figures from records held in memory. Pure. */
export function figuresFromRecords(records: FiguresRecords): IssuerFigures[] {
  return records.issuers.map((issuer) =>
    summariseIssuer(
      issuer,
      records.keysOf(issuer.id),
      issuer.metadataUrl === null ? undefined : records.states.get(issuer.id),
    ),
  );
}

/** Reads every issuer's figures from the store: three reads, whatever the number of issuers. */
export async function readTrustFigures(
  store: Pick<Store, 'listIssuers' | 'listKeys' | 'listRefreshStates'>,
): Promise<IssuerFigures[]> {
  const [issuers, keys, states] = await Promise.all([
    store.listIssuers(),
    store.listKeys(),
    store.listRefreshStates(),
  ]);
  const keysByIssuer = new Map<string, KeyRecord[]>();
  for (const key of keys) {
    const list = keysByIssuer.get(key.issuerId) ?? [];
    list.push(key);
    keysByIssuer.set(key.issuerId, list);
  }
  const stateByIssuer = new Map(states.map((state) => [state.issuerId, state]));
  return issuers.map((issuer) =>
    summariseIssuer(
      issuer,
      keysByIssuer.get(issuer.id) ?? [],
      issuer.metadataUrl === null ? undefined : stateByIssuer.get(issuer.id),
    ),
  );
}

/** Options of {@link createTrustFiguresCache}. */
export interface TrustFiguresCacheOptions {
  readonly store: Pick<Store, 'listIssuers' | 'listKeys' | 'listRefreshStates' | 'listRealms'>;
  /**
   * The records the rollover engine holds, when every change seen is loaded
   * (else undefined). Then the figures come from them and the store is only
   * asked its realms, to know that it answers: with 10,000 issuers a scrape
   * read every key of the store, 25,000 rows every few seconds.
   */
  readonly records?: () => FiguresRecords | undefined;
  readonly now: () => Date;
  /** How long one read of the store serves scrapes; 0 reads at every scrape. */
  readonly maxAgeMs: number;
}

/**
 * The issuers' figures, read from the store at most once per `maxAgeMs`
 * and by one read at a time however many scrapes arrive together: the cost
 * of `/metrics` on the store stays bounded whatever the scrape rate. A
 * failed read is not cached (the next scrape tries again).
 *
 * @throws whatever the store throws (`CG_STORE_*`).
 */
export function createTrustFiguresCache(options: TrustFiguresCacheOptions): () => Promise<IssuerFigures[]> {
  const { store, now, maxAgeMs } = options;
  let cached: { readonly at: number; readonly figures: IssuerFigures[] } | undefined;
  let reading: Promise<IssuerFigures[]> | undefined;
  const read = (): Promise<IssuerFigures[]> => {
    const records = options.records?.();
    return records === undefined
      ? readTrustFigures(store)
      : store.listRealms().then(() => figuresFromRecords(records));
  };
  return () => {
    const at = now().getTime();
    if (cached !== undefined && at - cached.at < maxAgeMs && at >= cached.at) {
      return Promise.resolve(cached.figures);
    }
    reading ??= read()
      .then((figures) => {
        cached = { at, figures };
        return figures;
      })
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
}
