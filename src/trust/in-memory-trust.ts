import { createPublicKey } from 'node:crypto';
import type { CertificateInfo } from '../crypto/certificate.js';
import { normalizeThumbprint } from '../crypto/thumbprint.js';
import type { IssuerMetadata } from '../metadata/model.js';
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
  const [before, after] = template.split(TENANT_PLACEHOLDER) as [string, string];
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
 * are a programming mistake.
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

/** Options for one issuer built from metadata or from configured thumbprints. */
export interface IssuerTrustOptions {
  /** The issuer URI; defaults to the metadata's entityID / issuer. */
  readonly issuer?: string;
  readonly audiences?: readonly string[];
  readonly allowSha1?: boolean;
  readonly allowedTenants?: readonly string[];
  /** SAML 2.0: refuse a signed Response around an unsigned assertion; default false. */
  readonly requireSignedAssertion?: boolean;
}

/**
 * The issuer and keys that a metadata document establishes: every published
 * signing key, with its certificate (or JWK) as the trusted material.
 *
 * @throws TypeError when neither the metadata nor the options name an issuer.
 */
export function trustFromMetadata(
  metadata: IssuerMetadata,
  options: IssuerTrustOptions = {},
): { issuer: TrustedIssuer; keys: TrustedKey[] } {
  const uri = options.issuer ?? metadata.issuer;
  if (uri === undefined) throw new TypeError('the metadata names no issuer: pass options.issuer');
  const issuer: TrustedIssuer = {
    issuer: uri,
    allowedTenants: options.allowedTenants ?? [],
    audiences: options.audiences ?? [],
    allowSha1: options.allowSha1 ?? false,
    requireSignedAssertion: options.requireSignedAssertion ?? false,
    lastRefresh: undefined,
  };
  const keys = metadata.signingKeys.map((key): TrustedKey => ({
    issuer: uri,
    sha1: key.sha1,
    sha256: key.sha256,
    kid: key.kid,
    ...(key.issuer === undefined ? {} : { keyIssuer: key.issuer }),
    publicKey:
      key.certificate?.publicKey ??
      (key.jwk === undefined ? undefined : createPublicKey({ key: key.jwk as never, format: 'jwk' })),
    certificate: key.certificate,
    source: 'metadata',
    state: 'active',
  }));
  return { issuer, keys };
}

/**
 * An issuer trusted by configured thumbprints alone, as WIF's
 * ValidatingIssuerNameRegistry does. Values are normalised (U+200E and
 * friends removed).
 *
 * @throws ClaimsgateError `CG_TRUST_THUMBPRINT_INVALID` for a value that is not a thumbprint.
 */
export function trustFromThumbprints(
  issuerUri: string,
  thumbprints: readonly string[],
  options: Omit<IssuerTrustOptions, 'issuer'> = {},
): { issuer: TrustedIssuer; keys: TrustedKey[] } {
  const issuer: TrustedIssuer = {
    issuer: issuerUri,
    allowedTenants: options.allowedTenants ?? [],
    audiences: options.audiences ?? [],
    allowSha1: options.allowSha1 ?? false,
    requireSignedAssertion: options.requireSignedAssertion ?? false,
    lastRefresh: undefined,
  };
  const keys = thumbprints.map((value): TrustedKey => {
    const { thumbprint, algorithm } = normalizeThumbprint(value);
    return {
      issuer: issuerUri,
      sha1: algorithm === 'sha1' ? thumbprint : undefined,
      sha256: algorithm === 'sha256' ? thumbprint : undefined,
      kid: undefined,
      publicKey: undefined,
      certificate: undefined,
      source: 'manual',
      state: 'active',
    };
  });
  return { issuer, keys };
}

/**
 * A key trusted for `issuer` by its certificate, as an administrator enters it:
 * the certificate is the trusted material, its thumbprints the lookup keys.
 */
export function trustedKeyFromCertificate(
  issuer: string,
  certificate: CertificateInfo,
  source: TrustedKey['source'] = 'manual',
): TrustedKey {
  return {
    issuer,
    sha1: certificate.sha1,
    sha256: certificate.sha256,
    kid: undefined,
    publicKey: certificate.publicKey,
    certificate,
    source,
    state: 'active',
  };
}
