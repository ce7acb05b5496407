import { parseCertificateDer } from '../crypto/certificate.js';
import type { IssuerRecord, KeyRecord, PendingChangeRecord, RefreshStateRecord } from '../store/model.js';
import {
  USABLE_KEY_STATES,
  type PendingKeyChange,
  type RefreshStatus,
  type TrustSnapshot,
  type TrustedIssuer,
  type TrustedKey,
} from '../tokens/trust-snapshot.js';
import type { CertificateCache } from './certificate-cache.js';
import { createTrustSnapshot } from './create-trust-snapshot.js';
import { trustedIssuer, trustedKey } from './trusted-key.js';

/** What a trust snapshot is built from: the store's records. */
export interface TrustRecords {
  readonly issuers: readonly IssuerRecord[];
  readonly keys: readonly KeyRecord[];
  readonly refreshStates: ReadonlyMap<string, RefreshStateRecord>;
  /** Pending changes by issuer ID; only those still `pending` reach the snapshot. */
  readonly pendingChanges?: ReadonlyMap<string, PendingChangeRecord>;
  readonly builtAt: Date;
  /** Told about a stored key whose material cannot be read; the key is left out. */
  readonly onInvalidKey?: (key: KeyRecord, error: unknown) => void;
  /** Parsed certificates kept from the builds before (see certificate-cache.ts); default: parse each anew. */
  readonly certificates?: CertificateCache;
}

/**
 * Builds the trust snapshot the token validators use from the store's
 * records: each issuer with its last refresh and the document it holds for
 * an administrator's approval, if any, each usable key with its
 * material — the stored certificate's public key, the stored JWK, or none
 * for a bare thumbprint entered by hand. Keys in unusable states and keys of
 * unknown issuers are left out; a key whose stored material does not parse
 * is left out and reported through `onInvalidKey`.
 */
export function buildTrustSnapshot(records: TrustRecords): TrustSnapshot {
  const keysOf = new Map<string, KeyRecord[]>();
  for (const key of records.keys) {
    const list = keysOf.get(key.issuerId);
    if (list === undefined) keysOf.set(key.issuerId, [key]);
    else list.push(key);
  }
  const issuers: TrustedIssuer[] = [];
  const keys: TrustedKey[] = [];
  for (const issuer of records.issuers) {
    const built = buildIssuerTrust(
      {
        issuer,
        keys: keysOf.get(issuer.id) ?? [],
        refreshState: records.refreshStates.get(issuer.id),
        pendingChange: records.pendingChanges?.get(issuer.id),
      },
      records,
    );
    issuers.push(built.issuer);
    keys.push(...built.keys);
  }
  records.certificates?.endBuild();
  return createTrustSnapshot({ issuers, keys, builtAt: records.builtAt });
}

/** One issuer's records, as the store holds them. */
export interface IssuerRecords {
  readonly issuer: IssuerRecord;
  /** The issuer's keys (any state; only usable ones are trusted). */
  readonly keys: readonly KeyRecord[];
  readonly refreshState: RefreshStateRecord | undefined;
  readonly pendingChange: PendingChangeRecord | undefined;
}

/**
 * One issuer of the snapshot and its usable keys, built from its records
 * (see {@link buildTrustSnapshot}); what a reload of one issuer patches into
 * the snapshot. A partial build does not end the certificate cache's build.
 */
export function buildIssuerTrust(
  records: IssuerRecords,
  options: Pick<TrustRecords, 'onInvalidKey' | 'certificates'> = {},
): { readonly issuer: TrustedIssuer; readonly keys: TrustedKey[] } {
  const cache = options.certificates;
  const parse = cache === undefined ? parseCertificateDer : (der: Uint8Array) => cache.parse(der);
  const { issuer } = records;
  const trusted = buildTrustedIssuer(records);
  const keys: TrustedKey[] = [];
  for (const key of records.keys) {
    // Unusable keys would be left out of the lookups anyway; skipping them
    // here spares parsing their material and reporting it when it is bad.
    if (key.issuerId !== issuer.id || !USABLE_KEY_STATES.has(key.state)) continue;
    try {
      keys.push(
        trustedKey({
          issuer: trusted.issuer,
          sha1: key.sha1 ?? undefined,
          sha256: key.sha256 ?? undefined,
          kid: key.kid ?? undefined,
          keyIssuer: typeof key.jwk?.issuer === 'string' ? key.jwk.issuer : undefined,
          certificate: key.certificateDer === null ? undefined : parse(key.certificateDer),
          jwk: key.jwk ?? undefined,
          source: key.source,
          state: key.state,
        }),
      );
    } catch (error) {
      options.onInvalidKey?.(key, error);
    }
  }
  return { issuer: trusted, keys };
}

/**
 * The issuer as the validators see it — its policy, last refresh and the
 * change it holds for an administrator — without its keys: what a load of
 * an issuer's refresh state alone puts back with the keys it had.
 */
export function buildTrustedIssuer(records: Omit<IssuerRecords, 'keys'>): TrustedIssuer {
  const { issuer } = records;
  return trustedIssuer(
    issuer.issuerUri,
    {
      allowedTenants: issuer.allowedTenants,
      allowSha1: issuer.allowSha1,
      requireSignedAssertion: issuer.requireSignedAssertion,
    },
    {
      lastRefresh: lastRefreshOf(issuer, records.refreshState),
      pendingChange: pendingOf(records.pendingChange),
    },
  );
}

/** A pending change as the validators see it: only while it waits for a decision. */
function pendingOf(change: PendingChangeRecord | undefined): PendingKeyChange | undefined {
  if (change === undefined || change.decision !== 'pending') return undefined;
  return {
    url: change.url,
    sha256: change.sha256,
    reason: change.reason,
    detectedAt: change.detectedAt,
    keys: change.keys.map((key) => ({
      sha1: key.sha1 ?? undefined,
      sha256: key.sha256 ?? undefined,
      kid: key.kid ?? undefined,
    })),
  };
}

function lastRefreshOf(
  issuer: IssuerRecord,
  state: RefreshStateRecord | undefined,
): RefreshStatus | undefined {
  if (state === undefined || state.lastAttemptAt === null || state.lastOutcome === null) return undefined;
  return {
    at: state.lastAttemptAt,
    outcome: state.lastOutcome,
    ...(state.lastErrorCode === null ? {} : { code: state.lastErrorCode }),
    ...(issuer.metadataUrl === null ? {} : { url: issuer.metadataUrl }),
  };
}
