import type {
  ClaimMappingRecord,
  IssuerRecord,
  KeyRecord,
  PendingChangeRecord,
  RefreshStateRecord,
} from '../store/model.js';
import type { Store } from '../store/store.js';
import type { TrustSnapshot } from '../tokens/trust-snapshot.js';
import { createTrustSnapshot } from '../trust/create-trust-snapshot.js';
import { createCertificateCache } from '../trust/certificate-cache.js';
import { buildTrustSnapshot } from '../trust/trust-from-records.js';
import type { Logger } from './structured-log.js';

/** The store's records as last loaded. */
export interface LoadedRecords {
  readonly issuers: readonly IssuerRecord[];
  readonly keys: readonly KeyRecord[];
  readonly states: ReadonlyMap<string, RefreshStateRecord>;
  /** Claim mappings, for the alerts that read them (labels shared between issuers). */
  readonly mappings: readonly ClaimMappingRecord[];
  /** Pending changes (documents held for lack of key continuity) by issuer ID. */
  readonly pendingChanges: ReadonlyMap<string, PendingChangeRecord>;
}

/** The in-memory copy of the store's trust, rebuilt on demand. */
export interface TrustLoader {
  /**
   * Reads issuers, keys, refresh states, claim mappings and pending changes and rebuilds the snapshot. Calls
   * made while a load is under way share it, and it then runs once more, so
   * that every caller sees a read that started after its call.
   */
  reload(): Promise<void>;
  records(): LoadedRecords;
  snapshot(): TrustSnapshot;
  /** How many loads completed. */
  loads(): number;
}

export interface TrustLoaderOptions {
  readonly store: Pick<
    Store,
    'listIssuers' | 'listKeys' | 'listRefreshStates' | 'listClaimMappings' | 'listPendingChanges'
  >;
  readonly now: () => Date;
  readonly logger: Logger;
  /** Called after each load, with the new records. */
  readonly onLoaded?: (records: LoadedRecords) => void;
}

/** Creates the loader; its snapshot is empty until the first load. */
export function createTrustLoader(options: TrustLoaderOptions): TrustLoader {
  const { store, now, logger } = options;
  let records: LoadedRecords = {
    issuers: [],
    keys: [],
    states: new Map(),
    mappings: [],
    pendingChanges: new Map(),
  };
  let current: TrustSnapshot = createTrustSnapshot({ issuers: [], keys: [], builtAt: now() });
  let loads = 0;
  let loading: Promise<void> | undefined;
  let again = false;
  // A reload parses only the certificates it has not seen (issue 13: 10,000 issuers).
  const certificates = createCertificateCache();

  async function loadOnce(): Promise<void> {
    // Five reads whatever the number of issuers: never one query per issuer.
    const [issuers, keys, mappings, pending, refreshStates] = await Promise.all([
      store.listIssuers(),
      store.listKeys(),
      store.listClaimMappings(),
      store.listPendingChanges(),
      store.listRefreshStates(),
    ]);
    const pendingChanges = new Map(pending.map((change) => [change.issuerId, change]));
    const states = new Map<string, RefreshStateRecord>(refreshStates.map((state) => [state.issuerId, state]));
    records = { issuers, keys, states, mappings, pendingChanges };
    current = buildTrustSnapshot({
      certificates,
      issuers,
      keys,
      refreshStates: states,
      pendingChanges,
      builtAt: now(),
      onInvalidKey: (key, error) =>
        logger({
          level: 'error',
          event: 'trust.key-unreadable',
          issuerId: key.issuerId,
          keyId: key.id,
          error: error instanceof Error ? error.message : String(error),
        }),
    });
    loads += 1;
    options.onLoaded?.(records);
  }

  return {
    reload() {
      if (loading !== undefined) {
        // The load under way may have read the store before the change the
        // caller is waiting for: run once more after it.
        again = true;
        return loading;
      }
      loading = (async () => {
        do {
          again = false;
          await loadOnce();
        } while (again);
      })().finally(() => {
        loading = undefined;
      });
      return loading;
    },
    records: () => records,
    snapshot: () => current,
    loads: () => loads,
  };
}
