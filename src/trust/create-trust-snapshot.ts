import {
  USABLE_KEY_STATES,
  type KeyIdentifier,
  type TrustSnapshot,
  type TrustedIssuer,
  type TrustedKey,
} from '../tokens/trust-snapshot.js';

const TENANT_PLACEHOLDER = /\{tenant(?:id)?\}/i;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A compiled issuer template: `https://sts.windows.net/{tenantid}/` → a matcher. */
function compileTemplate(template: string): RegExp {
  // Only templates (which hold the placeholder) are compiled: both halves exist.
  const [before = '', after = ''] = template.split(TENANT_PLACEHOLDER);
  return new RegExp(`^${escapeRegExp(before)}([0-9A-Za-z-]{1,64})${escapeRegExp(after)}$`);
}

const KEY_IDENTIFIERS: readonly KeyIdentifier[] = ['sha1', 'sha256', 'kid'];

/** What an in-memory snapshot is built from. */
export interface TrustSnapshotInput {
  readonly issuers: readonly TrustedIssuer[];
  readonly keys: readonly TrustedKey[];
  readonly builtAt?: Date;
}

/** What changes from one snapshot to the next: issuers replaced or added (with all their keys), issuers removed. */
export interface TrustSnapshotPatch {
  /** Issuers put in the snapshot, each with every key trusted for it; an issuer already there is replaced whole. */
  readonly put: readonly { readonly issuer: TrustedIssuer; readonly keys: readonly TrustedKey[] }[];
  /** Issuer URIs taken out, with their keys (applied before `put`). */
  readonly remove: readonly string[];
  readonly builtAt?: Date;
}

const REMOVED: unique symbol = Symbol('removed');

/**
 * A map shared between successive snapshots: a base map no snapshot changes,
 * and a small overlay of what changed since. A patch copies the overlay
 * only; once the overlay outgrows about twice the square root of the base,
 * the two are merged into a new base. With thousands of issuers a refresh
 * then costs in proportion to what it changed, not to the whole trust
 * (issue 13), while every snapshot stays immutable for the validations
 * holding it.
 */
class LayeredMap<K, V> {
  constructor(
    private readonly base: ReadonlyMap<K, V>,
    private readonly overlay: ReadonlyMap<K, V | typeof REMOVED>,
  ) {}

  static of<K, V>(entries: Map<K, V>): LayeredMap<K, V> {
    return new LayeredMap<K, V>(entries, new Map());
  }

  get(key: K): V | undefined {
    const changed = this.overlay.get(key);
    if (changed !== undefined) return changed === REMOVED ? undefined : changed;
    return this.base.get(key);
  }

  *values(): IterableIterator<V> {
    for (const [key, value] of this.base) if (!this.overlay.has(key)) yield value;
    for (const value of this.overlay.values()) if (value !== REMOVED) yield value;
  }

  with(changes: ReadonlyMap<K, V | typeof REMOVED>): LayeredMap<K, V> {
    if (changes.size === 0) return this;
    const overlay = new Map(this.overlay);
    for (const [key, value] of changes) overlay.set(key, value);
    if (overlay.size <= Math.max(64, 2 * Math.sqrt(this.base.size)))
      return new LayeredMap(this.base, overlay);
    const merged = new Map(this.base);
    for (const [key, value] of overlay) {
      if (value === REMOVED) merged.delete(key);
      else merged.set(key, value);
    }
    return new LayeredMap<K, V>(merged, new Map());
  }
}

/** One issuer in a snapshot: its usable keys and their (issuer, identifier) lookups. */
interface IssuerEntry {
  readonly issuer: TrustedIssuer;
  readonly keys: readonly TrustedKey[];
  readonly by: Record<KeyIdentifier, ReadonlyMap<string, readonly TrustedKey[]>>;
}

/** What a snapshot is made of; a patch derives the next one from it. */
interface SnapshotParts {
  readonly entries: LayeredMap<string, IssuerEntry>;
  /** The issuers whose URI is a `{tenantid}` template, by URI. */
  readonly templates: ReadonlyMap<string, { readonly pattern: RegExp; readonly issuer: TrustedIssuer }>;
  /** Identifier → the keys carrying it, across every issuer (diagnostics). */
  readonly across: Record<KeyIdentifier, LayeredMap<string, readonly TrustedKey[]>>;
}

const partsOf = new WeakMap<TrustSnapshot, SnapshotParts>();

function entryOf(issuer: TrustedIssuer, keys: readonly TrustedKey[]): IssuerEntry {
  const usable: TrustedKey[] = [];
  const by: Record<KeyIdentifier, Map<string, TrustedKey[]>> = {
    sha1: new Map(),
    sha256: new Map(),
    kid: new Map(),
  };
  for (const key of keys) {
    if (key.issuer !== issuer.issuer)
      throw new TypeError(`key ${key.sha1 ?? key.kid} names unknown issuer ${key.issuer}`);
    if (!USABLE_KEY_STATES.has(key.state)) continue;
    usable.push(key);
    for (const kind of KEY_IDENTIFIERS) {
      const value = key[kind];
      if (value === undefined) continue;
      const list = by[kind].get(value);
      if (list === undefined) by[kind].set(value, [key]);
      else list.push(key);
    }
  }
  // Frozen: an issuer put back with this very list keeps its lookups (see patchTrustSnapshot), so
  // the list must not change behind them (security review 10).
  return { issuer, keys: Object.freeze(usable), by };
}

/** The `across` lists of `values` once the keys of `leaving` issuers are out and those of `arriving` entries in. */
function acrossChanges(
  current: LayeredMap<string, readonly TrustedKey[]>,
  kind: KeyIdentifier,
  leaving: ReadonlySet<string>,
  arriving: readonly IssuerEntry[],
  departed: readonly IssuerEntry[],
): Map<string, readonly TrustedKey[] | typeof REMOVED> {
  const touched = new Set<string>();
  for (const entry of [...departed, ...arriving])
    for (const value of entry.by[kind].keys()) touched.add(value);
  const changes = new Map<string, readonly TrustedKey[] | typeof REMOVED>();
  for (const value of touched) {
    const kept = (current.get(value) ?? []).filter((key) => !leaving.has(key.issuer));
    for (const entry of arriving) kept.push(...(entry.by[kind].get(value) ?? []));
    changes.set(value, kept.length === 0 ? REMOVED : kept);
  }
  return changes;
}

function snapshotFrom(parts: SnapshotParts, builtAt: Date): TrustSnapshot {
  const none: readonly TrustedKey[] = Object.freeze([]);
  let issuerList: readonly TrustedIssuer[] | undefined;
  const snapshot: TrustSnapshot = Object.freeze({
    builtAt,
    findIssuer(issuer: string, tenantId?: string): TrustedIssuer | undefined {
      const exact = parts.entries.get(issuer)?.issuer;
      if (exact !== undefined && !TENANT_PLACEHOLDER.test(exact.issuer)) return exact;
      for (const template of parts.templates.values()) {
        const tenant = template.pattern.exec(issuer)?.[1];
        if (tenant === undefined) continue;
        // SECURITY: a template admits only allow-listed tenants, and the tenant in
        // the issuer must be the token's own tenant claim when it has one.
        if (tenantId !== undefined && tenantId.toLowerCase() !== tenant.toLowerCase()) continue;
        if (
          template.issuer.allowedTenants.some((allowed) => allowed.toLowerCase() === tenant.toLowerCase())
        ) {
          return template.issuer;
        }
      }
      return undefined;
    },
    issuerKeys: (issuer: string, by: KeyIdentifier, value: string) =>
      parts.entries.get(issuer)?.by[by].get(value) ?? none,
    keysBySha1: (sha1: string) => parts.across.sha1.get(sha1) ?? none,
    keysBySha256: (sha256: string) => parts.across.sha256.get(sha256) ?? none,
    keysByKid: (kid: string) => parts.across.kid.get(kid) ?? none,
    keysForIssuer: (issuer: string) => parts.entries.get(issuer)?.keys ?? none,
    issuers: () => (issuerList ??= Object.freeze([...parts.entries.values()].map((entry) => entry.issuer))),
  });
  partsOf.set(snapshot, parts);
  return snapshot;
}

/**
 * Builds an immutable trust snapshot with O(1) lookups by (issuer, SHA-1),
 * (issuer, SHA-256) and (issuer, `kid`), whatever the number of keys. Keys in unusable states (retired,
 * revoked, expired) are left out of every lookup; keys of issuers not listed
 * are a programming mistake. Every way of building trust (from the store's
 * records, from metadata, from thumbprints or certificates) ends here, so
 * this is the one place that decides which keys a snapshot answers with.
 *
 * @throws TypeError when a key names an issuer that is not in `issuers`.
 */
export function createTrustSnapshot(input: TrustSnapshotInput): TrustSnapshot {
  const keysOf = new Map<string, TrustedKey[]>();
  for (const issuer of input.issuers) keysOf.set(issuer.issuer, []);
  for (const key of input.keys) {
    const list = keysOf.get(key.issuer);
    if (list === undefined)
      throw new TypeError(`key ${key.sha1 ?? key.kid} names unknown issuer ${key.issuer}`);
    list.push(key);
  }
  const entries = new Map<string, IssuerEntry>();
  const templates = new Map<string, { pattern: RegExp; issuer: TrustedIssuer }>();
  for (const issuer of input.issuers) {
    entries.set(issuer.issuer, entryOf(issuer, keysOf.get(issuer.issuer) ?? []));
    if (TENANT_PLACEHOLDER.test(issuer.issuer))
      templates.set(issuer.issuer, { pattern: compileTemplate(issuer.issuer), issuer });
  }
  const across = { sha1: new Map(), sha256: new Map(), kid: new Map() } as Record<
    KeyIdentifier,
    Map<string, TrustedKey[]>
  >;
  for (const entry of entries.values()) {
    for (const kind of KEY_IDENTIFIERS) {
      for (const [value, keys] of entry.by[kind]) {
        const list = across[kind].get(value);
        if (list === undefined) across[kind].set(value, [...keys]);
        else list.push(...keys);
      }
    }
  }
  return snapshotFrom(
    {
      entries: LayeredMap.of(entries),
      templates,
      across: {
        sha1: LayeredMap.of<string, readonly TrustedKey[]>(across.sha1),
        sha256: LayeredMap.of<string, readonly TrustedKey[]>(across.sha256),
        kid: LayeredMap.of<string, readonly TrustedKey[]>(across.kid),
      },
    },
    input.builtAt ?? new Date(),
  );
}

/**
 * The snapshot `base` would be with some issuers replaced, added or removed,
 * built in time proportional to what changed (the rest is shared with
 * `base`, which is left as it was). A snapshot made by {@link createTrustSnapshot}
 * or by this function can be patched; another is rebuilt whole from its issuers and keys.
 *
 * @throws TypeError when a key of `put` names another issuer than its own entry's.
 */
export function patchTrustSnapshot(base: TrustSnapshot, patch: TrustSnapshotPatch): TrustSnapshot {
  const builtAt = patch.builtAt ?? new Date();
  const parts = partsOf.get(base);
  if (parts === undefined) {
    const leaving = new Set([...patch.remove, ...patch.put.map((entry) => entry.issuer.issuer)]);
    const issuers = base.issuers().filter((issuer) => !leaving.has(issuer.issuer));
    return createTrustSnapshot({
      issuers: [...issuers, ...patch.put.map((entry) => entry.issuer)],
      keys: [
        ...issuers.flatMap((issuer) => base.keysForIssuer(issuer.issuer)),
        ...patch.put.flatMap((entry) => entry.keys),
      ],
      builtAt,
    });
  }
  // An issuer put twice is put as it is the second time.
  const lastPut = new Map(patch.put.map((entry) => [entry.issuer.issuer, entry]));
  const removed = new Set(patch.remove);
  const entryChanges = new Map<string, IssuerEntry | typeof REMOVED>();
  const templates = new Map(parts.templates);
  // What changes in the lookups across issuers: only the keys of issuers whose keys changed. An
  // issuer put back with the very keys it holds (a refresh that changed only its refresh state)
  // keeps its entry's lookups and touches no cross-issuer list — those lists are long when many
  // issuers share a key (every tenant of a multi-tenant issuer), and copying them on each refresh
  // made a refresh cost in proportion to the issuers sharing its keys.
  const arriving: IssuerEntry[] = [];
  const departed: IssuerEntry[] = [];
  const rekeyed = new Set<string>();
  for (const uri of removed) {
    const old = parts.entries.get(uri);
    if (old === undefined) continue;
    departed.push(old);
    rekeyed.add(uri);
  }
  for (const [uri, put] of lastPut) {
    const old = parts.entries.get(uri);
    const sameKeys = old !== undefined && !removed.has(uri) && sameKeyObjects(old.keys, put.keys);
    const entry = sameKeys
      ? { issuer: put.issuer, keys: old.keys, by: old.by }
      : entryOf(put.issuer, put.keys);
    if (!sameKeys) {
      if (old !== undefined && !removed.has(uri)) departed.push(old);
      arriving.push(entry);
      rekeyed.add(uri);
    }
    entryChanges.set(uri, entry);
  }
  for (const uri of removed) {
    if (!lastPut.has(uri)) entryChanges.set(uri, REMOVED);
    templates.delete(uri);
  }
  for (const [uri, put] of lastPut) {
    templates.delete(uri);
    if (TENANT_PLACEHOLDER.test(uri))
      templates.set(uri, { pattern: compileTemplate(uri), issuer: put.issuer });
  }
  const across = {} as Record<KeyIdentifier, LayeredMap<string, readonly TrustedKey[]>>;
  for (const kind of KEY_IDENTIFIERS)
    across[kind] =
      rekeyed.size === 0
        ? parts.across[kind]
        : parts.across[kind].with(acrossChanges(parts.across[kind], kind, rekeyed, arriving, departed));
  return snapshotFrom({ entries: parts.entries.with(entryChanges), templates, across }, builtAt);
}

/** Whether `put` holds exactly the usable keys of `held`, the same objects in the same order. */
function sameKeyObjects(held: readonly TrustedKey[], put: readonly TrustedKey[]): boolean {
  let index = 0;
  for (const key of put) {
    if (!USABLE_KEY_STATES.has(key.state)) continue;
    if (held[index] !== key) return false;
    index += 1;
  }
  return index === held.length;
}
