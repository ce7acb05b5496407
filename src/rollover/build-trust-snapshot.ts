import { createPublicKey, type KeyObject } from 'node:crypto';
import { parseCertificateDer, type CertificateInfo } from '../crypto/certificate.js';
import type { IssuerRecord, KeyRecord, PendingChangeRecord, RefreshStateRecord } from '../store/model.js';
import {
  USABLE_KEY_STATES,
  type PendingKeyChange,
  type RefreshStatus,
  type TrustSnapshot,
  type TrustedIssuer,
  type TrustedKey,
} from '../tokens/trust-snapshot.js';
import { createTrustSnapshot } from '../trust/in-memory-trust.js';

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
}

/** The JWK members that make up a public key; anything else (the Entra `issuer`, `x5c`, …) is left out of the import. */
const PUBLIC_JWK_MEMBERS = ['kty', 'crv', 'n', 'e', 'x', 'y'] as const;

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
  const issuers = new Map<string, TrustedIssuer>();
  for (const issuer of records.issuers) {
    const pending = pendingOf(records.pendingChanges?.get(issuer.id));
    issuers.set(issuer.id, {
      issuer: issuer.issuerUri,
      allowedTenants: issuer.allowedTenants,
      audiences: [],
      allowSha1: issuer.allowSha1,
      requireSignedAssertion: issuer.requireSignedAssertion,
      lastRefresh: lastRefreshOf(issuer, records.refreshStates.get(issuer.id)),
      ...(pending === undefined ? {} : { pendingChange: pending }),
    });
  }
  const keys: TrustedKey[] = [];
  for (const key of records.keys) {
    const issuer = issuers.get(key.issuerId);
    if (issuer === undefined || !USABLE_KEY_STATES.has(key.state)) continue;
    let material: { publicKey: KeyObject | undefined; certificate: CertificateInfo | undefined };
    try {
      material = materialOf(key);
    } catch (error) {
      records.onInvalidKey?.(key, error);
      continue;
    }
    const keyIssuer = typeof key.jwk?.issuer === 'string' ? key.jwk.issuer : undefined;
    keys.push({
      issuer: issuer.issuer,
      sha1: key.sha1 ?? material.certificate?.sha1,
      sha256: key.sha256 ?? material.certificate?.sha256,
      kid: key.kid ?? undefined,
      ...(keyIssuer === undefined ? {} : { keyIssuer }),
      publicKey: material.publicKey,
      certificate: material.certificate,
      source: key.source,
      state: key.state,
    });
  }
  return createTrustSnapshot({ issuers: [...issuers.values()], keys, builtAt: records.builtAt });
}

function materialOf(key: KeyRecord): {
  publicKey: KeyObject | undefined;
  certificate: CertificateInfo | undefined;
} {
  if (key.certificateDer !== null) {
    const certificate = parseCertificateDer(key.certificateDer);
    return { publicKey: certificate.publicKey, certificate };
  }
  if (key.jwk !== null) {
    const jwk: Record<string, unknown> = {};
    for (const name of PUBLIC_JWK_MEMBERS) if (key.jwk[name] !== undefined) jwk[name] = key.jwk[name];
    return { publicKey: createPublicKey({ key: jwk as never, format: 'jwk' }), certificate: undefined };
  }
  // A bare thumbprint: it vouches only for a certificate whose thumbprint equals it.
  return { publicKey: undefined, certificate: undefined };
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
