import { labelKey, type LabelConflict } from '../store/label-conflicts.js';
import type {
  ClaimMappingRecord,
  IssuerRecord,
  KeyRecord,
  PendingChangeRecord,
  RealmRecord,
  RefreshStateRecord,
} from '../store/model.js';
import type { Store } from '../store/store.js';
import {
  USABLE_KEY_STATES,
  type TrustSnapshot,
  type TrustedIssuer,
  type TrustedKey,
} from '../tokens/trust-snapshot.js';
import { createTrustSnapshot, patchTrustSnapshot } from '../trust/create-trust-snapshot.js';
import { createCertificateCache } from '../trust/certificate-cache.js';
import { buildIssuerTrust, buildTrustedIssuer, buildTrustSnapshot } from '../trust/trust-from-records.js';
import type { Logger } from './structured-log.js';
import { mapLimited } from '../lib/map-limited.js';

/**
 * The store's records as last loaded: the in-memory directory the engine,
 * its alerts and the sign-in path read instead of the store. Lookups by ID
 * and URI are O(1); the lists are built on first use after a change.
 */
export interface LoadedRecords {
  /** Every issuer, in the store's order (issuers added since the last full load last). */
  readonly issuers: readonly IssuerRecord[];
  /**
   * Every key of every issuer, any state. What a refresh notes on a key it
   * did not add or move (`lastSeenInMetadataAt`) is as of the issuer's last
   * full read: a refresh that changed no key reloads its refresh state only.
   */
  readonly keys: readonly KeyRecord[];
  readonly states: ReadonlyMap<string, RefreshStateRecord>;
  /** Claim mappings, for the alerts that read them (labels shared between issuers) and the sign-in path. */
  readonly mappings: readonly ClaimMappingRecord[];
  /** Pending changes (documents held for lack of key continuity) by issuer ID. */
  readonly pendingChanges: ReadonlyMap<string, PendingChangeRecord>;
  readonly realms: readonly RealmRecord[];
  /** The issuer with this ID. */
  issuer(id: string): IssuerRecord | undefined;
  /** The issuer configured with exactly this issuer URI (a template is found by its template). */
  issuerByUri(uri: string): IssuerRecord | undefined;
  /** The issuer with exactly this name. */
  issuerByName(name: string): IssuerRecord | undefined;
  /** The issuer holding this e-mail domain (in its stored form: lower case, ASCII). */
  issuerByDomain(domain: string): IssuerRecord | undefined;
  /** The issuer's keys, any state. */
  keysOf(issuerId: string): readonly KeyRecord[];
  /** The issuer's claim mappings. */
  mappingsOf(issuerId: string): readonly ClaimMappingRecord[];
  /** Labels several issuers share (stores written before labels were unique). */
  labelConflicts(): readonly LabelConflict[];
}

/** The in-memory copy of the store's trust, rebuilt on demand. */
export interface TrustLoader {
  /**
   * Reads every issuer, key, refresh state, claim mapping, pending change
   * and realm and rebuilds the snapshot. Calls made while a load is under
   * way are served by one more load after it, so that every caller sees a
   * read that started after its call.
   */
  reload(): Promise<void>;
  /**
   * Reads only these issuers' records (issuer, keys, refresh state, pending
   * change, claim mappings) and patches them into the snapshot: the cost
   * of a refresh or a change is that of the issuers it touched, whatever
   * the number of issuers. Batched with other calls made meanwhile; a
   * batch touching a large share of the issuers becomes a full load.
   */
  reloadIssuers(issuerIds: Iterable<string>): Promise<void>;
  /**
   * Reads only these issuers' refresh state and pending change and puts
   * each issuer back in the snapshot with the keys it holds: what a refresh
   * that added and moved no key changed (a 304, a failure, a document held
   * for an administrator). An issuer whose full read is asked for in the
   * same batch, or that is not in the directory yet, is read in full.
   */
  reloadRefreshStates(issuerIds: Iterable<string>): Promise<void>;
  /** Reads the realms again (realm changes touch no trust). */
  reloadRealms(): Promise<void>;
  records(): LoadedRecords;
  snapshot(): TrustSnapshot;
  /** How many loads (full or partial) completed. */
  loads(): number;
}

export interface TrustLoaderOptions {
  readonly store: Pick<
    Store,
    | 'listIssuers'
    | 'listKeys'
    | 'listRefreshStates'
    | 'listClaimMappings'
    | 'listPendingChanges'
    | 'listRealms'
    | 'getIssuer'
    | 'getRefreshState'
    | 'getPendingChange'
  >;
  readonly now: () => Date;
  readonly logger: Logger;
  /**
   * Called after each load with the new records and, after a partial load,
   * the IDs of the issuers it read (undefined after a full load).
   */
  readonly onLoaded?: (records: LoadedRecords, changed: readonly string[] | undefined) => void;
}

/** Issuers read one at a time at most this many at once in a partial load (a PostgreSQL pool holds 10). */
const PARTIAL_READ_CONCURRENCY = 4;

/** A partial load of more issuers than this share of them is made a full load: five reads instead of five per issuer. */
const FULL_LOAD_SHARE = 1 / 8;

/** A partial load reads at least this many issuers before a full load is preferred. */
const FULL_LOAD_MIN = 64;

interface LoadRequest {
  full: boolean;
  realms: boolean;
  readonly issuerIds: Set<string>;
  /** Issuers of which only the refresh state and pending change are read. */
  readonly stateIds: Set<string>;
  waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }>;
}

/** What one issuer's partial read found; `issuer` undefined when it is gone. */
interface IssuerRead {
  readonly id: string;
  readonly issuer: IssuerRecord | undefined;
  readonly keys: readonly KeyRecord[];
  readonly state: RefreshStateRecord | undefined;
  readonly pending: PendingChangeRecord | undefined;
  readonly mappings: readonly ClaimMappingRecord[];
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = groups.get(key);
    if (list === undefined) groups.set(key, [item]);
    else list.push(item);
  }
  return groups;
}

/**
 * The labels each issuer uses (its own and its mappings'), by the form they
 * compare in (see label-conflicts.ts), kept in step issuer by issuer: the
 * labels several issuers share are known without going over every issuer
 * after each load (adding 10,000 issuers one by one was O(n²) here). It
 * answers as `findLabelConflicts` over the same records.
 */
function createLabelIndex() {
  /** Label key → the issuers using it, each with the label as it first writes it. */
  const owners = new Map<string, Map<string, string>>();
  const keysOf = new Map<string, string[]>();
  const shared = new Set<string>();
  function remove(issuerId: string): void {
    for (const key of keysOf.get(issuerId) ?? []) {
      const using = owners.get(key);
      using?.delete(issuerId);
      if (using === undefined || using.size === 0) owners.delete(key);
      if ((using?.size ?? 0) < 2) shared.delete(key);
    }
    keysOf.delete(issuerId);
  }
  return {
    clear(): void {
      owners.clear();
      keysOf.clear();
      shared.clear();
    },
    /** Puts the issuer's labels in (undefined: the issuer is gone). */
    set(issuerId: string, issuer: IssuerRecord | undefined, mappings: readonly ClaimMappingRecord[]): void {
      remove(issuerId);
      if (issuer === undefined) return;
      const keys: string[] = [];
      for (const label of [issuer.label, ...mappings.map((mapping) => mapping.label)]) {
        const key = labelKey(label);
        let using = owners.get(key);
        if (using === undefined) owners.set(key, (using = new Map<string, string>()));
        if (!using.has(issuerId)) using.set(issuerId, label);
        if (!keys.includes(key)) keys.push(key);
        if (using.size >= 2) shared.add(key);
      }
      keysOf.set(issuerId, keys);
    },
    conflicts(nameOf: (issuerId: string) => string): LabelConflict[] {
      const found: LabelConflict[] = [];
      for (const key of shared) {
        const using = owners.get(key)!;
        const issuers = [...using.keys()]
          .map((id) => ({ id, name: nameOf(id) }))
          .sort((a, b) => a.name.localeCompare(b.name));
        found.push({ label: using.get(issuers[0]!.id)!, issuers });
      }
      return found.sort((a, b) => a.label.localeCompare(b.label));
    },
  };
}

/** Whether two lists of claim mappings carry the same labels, in order. */
function sameLabels(a: readonly ClaimMappingRecord[], b: readonly ClaimMappingRecord[]): boolean {
  return a.length === b.length && a.every((mapping, index) => mapping.label === b[index]!.label);
}

/** Creates the loader; its snapshot is empty until the first load. */
export function createTrustLoader(options: TrustLoaderOptions): TrustLoader {
  const { store, now, logger } = options;
  // The directory, by issuer ID; replaced whole by a full load, entry by entry by a partial one.
  let issuers = new Map<string, IssuerRecord>();
  let byUri = new Map<string, string>();
  let byName = new Map<string, string>();
  let byDomain = new Map<string, string>();
  let keysByIssuer = new Map<string, readonly KeyRecord[]>();
  let mappingsByIssuer = new Map<string, readonly ClaimMappingRecord[]>();
  let states = new Map<string, RefreshStateRecord>();
  let pendingChanges = new Map<string, PendingChangeRecord>();
  let realms: readonly RealmRecord[] = [];
  let current: TrustSnapshot = createTrustSnapshot({ issuers: [], keys: [], builtAt: now() });
  let loads = 0;
  // A reload parses only the certificates it has not seen (issue 13: 10,000 issuers).
  const certificates = createCertificateCache();
  const onInvalidKey = (key: KeyRecord, error: unknown): void =>
    logger({
      level: 'error',
      event: 'trust.key-unreadable',
      issuerId: key.issuerId,
      keyId: key.id,
      error: error instanceof Error ? error.message : String(error),
    });

  // What the lists and label conflicts were built from: lists follow every load, label
  // conflicts only loads that may change a label (a refresh changes none).
  let version = 0;
  let labelsVersion = 0;
  let lists:
    | {
        version: number;
        issuers: readonly IssuerRecord[];
        keys?: readonly KeyRecord[];
        mappings?: readonly ClaimMappingRecord[];
      }
    | undefined;
  let conflicts: { version: number; value: readonly LabelConflict[] } | undefined;
  const labels = createLabelIndex();
  const none: readonly never[] = [];

  function currentLists() {
    if (lists?.version !== version) lists = { version, issuers: [...issuers.values()] };
    return lists;
  }

  /**
   * The directory as it is now. The maps behind it are changed in place by
   * each load (a copy per load would cost every issuer's entry per refresh);
   * the lists are built on first use after a load. A reader holding it
   * across an await sees what the loads meanwhile brought, never a half-made
   * entry: a load changes the maps in one synchronous step.
   */
  function makeView(): LoadedRecords {
    const view: LoadedRecords = {
      get issuers() {
        return currentLists().issuers;
      },
      get keys() {
        const current = currentLists();
        return (current.keys ??= [...issuers.keys()].flatMap((id) => keysByIssuer.get(id) ?? none));
      },
      get states() {
        return states;
      },
      get mappings() {
        const current = currentLists();
        return (current.mappings ??= [...issuers.keys()].flatMap((id) => mappingsByIssuer.get(id) ?? none));
      },
      get pendingChanges() {
        return pendingChanges;
      },
      get realms() {
        return realms;
      },
      issuer: (id) => issuers.get(id),
      issuerByUri: (uri) => {
        const id = byUri.get(uri);
        return id === undefined ? undefined : issuers.get(id);
      },
      issuerByName: (name) => {
        const id = byName.get(name);
        return id === undefined ? undefined : issuers.get(id);
      },
      issuerByDomain: (domain) => {
        const id = byDomain.get(domain);
        return id === undefined ? undefined : issuers.get(id);
      },
      keysOf: (issuerId) => keysByIssuer.get(issuerId) ?? none,
      mappingsOf: (issuerId) => mappingsByIssuer.get(issuerId) ?? none,
      labelConflicts: () => {
        if (conflicts?.version !== labelsVersion)
          conflicts = {
            version: labelsVersion,
            value: labels.conflicts((id) => issuers.get(id)?.name ?? id),
          };
        return conflicts.value;
      },
    };
    return view;
  }

  /**
   * The key with its certificate's bytes as the certificate cache holds them:
   * one copy of a certificate that many issuers' keys share (every tenant of
   * a multi-tenant issuer), not one per key. Unusable keys are left as read
   * (their material is never parsed); material that does not parse too, for
   * the build to report.
   */
  function withSharedCertificate(key: KeyRecord): KeyRecord {
    if (key.certificateDer === null || !USABLE_KEY_STATES.has(key.state)) return key;
    try {
      const held = certificates.parse(key.certificateDer).der;
      return held === key.certificateDer ? key : { ...key, certificateDer: held };
    } catch {
      return key;
    }
  }

  async function loadAll(): Promise<void> {
    // Six reads whatever the number of issuers: never one query per issuer.
    const [issuerList, keyList, mappingList, pending, refreshStates, realmList] = await Promise.all([
      store.listIssuers(),
      store.listKeys().then((keys) => keys.map(withSharedCertificate)),
      store.listClaimMappings(),
      store.listPendingChanges(),
      store.listRefreshStates(),
      store.listRealms(),
    ]);
    issuers = new Map(issuerList.map((issuer) => [issuer.id, issuer]));
    byUri = new Map(issuerList.map((issuer) => [issuer.issuerUri, issuer.id]));
    byName = new Map(issuerList.map((issuer) => [issuer.name, issuer.id]));
    byDomain = new Map(
      issuerList.flatMap((issuer) => issuer.domains.map((domain) => [domain, issuer.id] as const)),
    );
    keysByIssuer = groupBy(keyList, (key) => key.issuerId);
    mappingsByIssuer = groupBy(mappingList, (mapping) => mapping.issuerId);
    pendingChanges = new Map(pending.map((change) => [change.issuerId, change]));
    states = new Map(refreshStates.map((state) => [state.issuerId, state]));
    realms = realmList;
    current = buildTrustSnapshot({
      certificates,
      issuers: issuerList,
      keys: keyList,
      refreshStates: states,
      pendingChanges,
      builtAt: now(),
      onInvalidKey,
    });
    labels.clear();
    for (const issuer of issuerList) labels.set(issuer.id, issuer, mappingsByIssuer.get(issuer.id) ?? []);
    version += 1;
    labelsVersion += 1;
    loads += 1;
    options.onLoaded?.(view, undefined);
  }

  async function readIssuer(id: string): Promise<IssuerRead> {
    const issuer = await store.getIssuer(id);
    // getIssuer finds by ID or name: an issuer named like another's ID is not this one.
    if (issuer === undefined || issuer.id !== id)
      return { id, issuer: undefined, keys: [], state: undefined, pending: undefined, mappings: [] };
    const [keys, state, pending, mappings] = await Promise.all([
      store.listKeys(id).then((read) => read.map(withSharedCertificate)),
      store.getRefreshState(id),
      store.getPendingChange(id),
      store.listClaimMappings(id),
    ]);
    return { id, issuer, keys, state, pending, mappings };
  }

  /** Reads the issuers and patches them in; false when the reads collide with the directory (a full load is needed). */
  async function loadSome(ids: readonly string[]): Promise<boolean> {
    const reads = await mapLimited(ids, PARTIAL_READ_CONCURRENCY, readIssuer);
    // An issuer URI, name or e-mail domain now held by an issuer this batch did not read (one
    // renamed and another given its old URI, changes whose notices are still
    // to come): the directory cannot be patched consistently; read it all.
    const reading = new Set(ids);
    for (const read of reads) {
      if (read.issuer === undefined) continue;
      const owners = [
        byUri.get(read.issuer.issuerUri),
        byName.get(read.issuer.name),
        ...read.issuer.domains.map((domain) => byDomain.get(domain)),
      ];
      if (owners.some((owner) => owner !== undefined && owner !== read.id && !reading.has(owner)))
        return false;
    }
    // Changed in place, in this one synchronous step (see makeView).
    let labelsChanged = false;
    const remove: string[] = [];
    const put: ReturnType<typeof buildIssuerTrust>[] = [];
    for (const read of reads) {
      const old = issuers.get(read.id);
      if (
        old === undefined ||
        read.issuer === undefined ||
        old.label !== read.issuer.label ||
        old.name !== read.issuer.name ||
        !sameLabels(mappingsByIssuer.get(read.id) ?? [], read.mappings)
      ) {
        labelsChanged = true;
        labels.set(read.id, read.issuer, read.mappings);
      }
      if (old !== undefined) {
        remove.push(old.issuerUri);
        if (byUri.get(old.issuerUri) === read.id) byUri.delete(old.issuerUri);
        if (byName.get(old.name) === read.id) byName.delete(old.name);
        for (const domain of old.domains) if (byDomain.get(domain) === read.id) byDomain.delete(domain);
      }
      if (read.issuer === undefined) {
        issuers.delete(read.id);
        keysByIssuer.delete(read.id);
        mappingsByIssuer.delete(read.id);
        states.delete(read.id);
        pendingChanges.delete(read.id);
        continue;
      }
      issuers.set(read.id, read.issuer);
      byUri.set(read.issuer.issuerUri, read.id);
      byName.set(read.issuer.name, read.id);
      for (const domain of read.issuer.domains) byDomain.set(domain, read.id);
      keysByIssuer.set(read.id, read.keys);
      mappingsByIssuer.set(read.id, read.mappings);
      if (read.state === undefined) states.delete(read.id);
      else states.set(read.id, read.state);
      if (read.pending === undefined) pendingChanges.delete(read.id);
      else pendingChanges.set(read.id, read.pending);
      put.push(
        buildIssuerTrust(
          { issuer: read.issuer, keys: read.keys, refreshState: read.state, pendingChange: read.pending },
          { certificates, onInvalidKey },
        ),
      );
    }
    current = patchTrustSnapshot(current, { remove, put, builtAt: now() });
    version += 1;
    if (labelsChanged) labelsVersion += 1;
    loads += 1;
    options.onLoaded?.(view, ids);
    return true;
  }

  /** Reads the issuers' refresh states and pending changes and patches them in, each issuer with the keys it holds. */
  async function loadStates(ids: readonly string[]): Promise<void> {
    const reads = await mapLimited(ids, PARTIAL_READ_CONCURRENCY, async (id) => {
      const [state, pending] = await Promise.all([store.getRefreshState(id), store.getPendingChange(id)]);
      return { id, state, pending };
    });
    // Changed in place, in this one synchronous step (see makeView).
    const put: { issuer: TrustedIssuer; keys: readonly TrustedKey[] }[] = [];
    const patched: string[] = [];
    for (const read of reads) {
      const issuer = issuers.get(read.id);
      if (issuer === undefined) continue; // removed by a load of this batch
      if (read.state === undefined) states.delete(read.id);
      else states.set(read.id, read.state);
      if (read.pending === undefined) pendingChanges.delete(read.id);
      else pendingChanges.set(read.id, read.pending);
      put.push({
        issuer: buildTrustedIssuer({ issuer, refreshState: read.state, pendingChange: read.pending }),
        keys: current.keysForIssuer(issuer.issuerUri),
      });
      patched.push(read.id);
    }
    current = patchTrustSnapshot(current, { remove: [], put, builtAt: now() });
    version += 1;
    loads += 1;
    options.onLoaded?.(view, patched);
  }

  async function loadRealms(): Promise<void> {
    realms = await store.listRealms();
  }

  const view = makeView();
  let queued: LoadRequest | undefined;
  let pumping = false;

  /** Runs the queued loads one after another: a request made during a load is served by the next. */
  async function pump(): Promise<void> {
    pumping = true;
    try {
      while (queued !== undefined) {
        const request = queued;
        queued = undefined;
        try {
          // An issuer not in the directory yet (added a moment ago) is read in full.
          for (const id of request.stateIds) if (!issuers.has(id)) request.issuerIds.add(id);
          const ids = [...request.issuerIds];
          const full = request.full || ids.length > Math.max(FULL_LOAD_MIN, issuers.size * FULL_LOAD_SHARE);
          const stateIds = [...request.stateIds].filter((id) => !request.issuerIds.has(id));
          if (full) await loadAll();
          else {
            if (request.realms) await loadRealms();
            // A full load, when a partial one collides with the directory, covers the states too.
            const collided = ids.length > 0 && !(await loadSome(ids));
            if (collided) await loadAll();
            else if (stateIds.length > 0) await loadStates(stateIds);
          }
          for (const waiter of request.waiters) waiter.resolve();
        } catch (error) {
          for (const waiter of request.waiters) waiter.reject(error);
        }
      }
    } finally {
      pumping = false;
    }
  }

  function request(shape: {
    full?: boolean;
    realms?: boolean;
    issuerIds?: Iterable<string>;
    stateIds?: Iterable<string>;
  }): Promise<void> {
    queued ??= { full: false, realms: false, issuerIds: new Set(), stateIds: new Set(), waiters: [] };
    const into = queued;
    into.full ||= shape.full === true;
    into.realms ||= shape.realms === true;
    for (const id of shape.issuerIds ?? []) into.issuerIds.add(id);
    for (const id of shape.stateIds ?? []) into.stateIds.add(id);
    const done = new Promise<void>((resolve, reject) => into.waiters.push({ resolve, reject }));
    if (!pumping) void pump();
    return done;
  }

  return {
    reload: () => request({ full: true }),
    reloadIssuers: (issuerIds) => request({ issuerIds }),
    reloadRefreshStates: (stateIds) => request({ stateIds }),
    reloadRealms: () => request({ realms: true }),
    records: () => view,
    snapshot: () => current,
    loads: () => loads,
  };
}
