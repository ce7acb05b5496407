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

/** One map key for an (issuer URI, key identifier) pair; NUL cannot occur in either. */
function issuerKeyIndex(issuer: string, value: string): string {
  return `${issuer}\u0000${value}`;
}

function pushTo<K, V>(map: Map<K, V[]>, key: K | undefined, value: V): void {
  if (key === undefined) return;
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/** What an in-memory snapshot is built from. */
export interface TrustSnapshotInput {
  readonly issuers: readonly TrustedIssuer[];
  readonly keys: readonly TrustedKey[];
  readonly builtAt?: Date;
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
  const issuersByUri = new Map<string, TrustedIssuer>();
  const templates: Array<{ pattern: RegExp; issuer: TrustedIssuer }> = [];
  for (const issuer of input.issuers) {
    issuersByUri.set(issuer.issuer, issuer);
    if (TENANT_PLACEHOLDER.test(issuer.issuer))
      templates.push({ pattern: compileTemplate(issuer.issuer), issuer });
  }
  const bySha1 = new Map<string, TrustedKey[]>();
  const bySha256 = new Map<string, TrustedKey[]>();
  const byKid = new Map<string, TrustedKey[]>();
  const byIssuer = new Map<string, TrustedKey[]>();
  // (issuer, identifier) → keys: the per-issuer key mapping, one map per kind of identifier.
  const byIssuerAnd: Record<KeyIdentifier, Map<string, TrustedKey[]>> = {
    sha1: new Map(),
    sha256: new Map(),
    kid: new Map(),
  };
  for (const key of input.keys) {
    if (!issuersByUri.has(key.issuer))
      throw new TypeError(`key ${key.sha1 ?? key.kid} names unknown issuer ${key.issuer}`);
    if (!USABLE_KEY_STATES.has(key.state)) continue;
    pushTo(bySha1, key.sha1, key);
    pushTo(bySha256, key.sha256, key);
    pushTo(byKid, key.kid, key);
    pushTo(byIssuer, key.issuer, key);
    for (const kind of KEY_IDENTIFIERS) {
      const value = key[kind];
      if (value !== undefined) pushTo(byIssuerAnd[kind], issuerKeyIndex(key.issuer, value), key);
    }
  }
  const issuers = [...issuersByUri.values()];
  const builtAt = input.builtAt ?? new Date();
  const none: readonly TrustedKey[] = Object.freeze([]);
  return Object.freeze({
    builtAt,
    findIssuer(issuer: string, tenantId?: string): TrustedIssuer | undefined {
      const exact = issuersByUri.get(issuer);
      if (exact !== undefined && !TENANT_PLACEHOLDER.test(exact.issuer)) return exact;
      for (const template of templates) {
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
      byIssuerAnd[by].get(issuerKeyIndex(issuer, value)) ?? none,
    keysBySha1: (sha1: string) => bySha1.get(sha1) ?? none,
    keysBySha256: (sha256: string) => bySha256.get(sha256) ?? none,
    keysByKid: (kid: string) => byKid.get(kid) ?? none,
    keysForIssuer: (issuer: string) => byIssuer.get(issuer) ?? none,
    issuers: () => issuers,
  });
}
