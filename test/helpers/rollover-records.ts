/** Store records built by hand, for the pure parts of the rollover engine. */
import type { CertificateInfo } from '../../src/crypto/certificate.js';
import type { IssuerRecord, KeyRecord, RefreshStateRecord } from '../../src/store/model.js';
import type { KeyState } from '../../src/tokens/trust-snapshot.js';

export const T0 = new Date('2025-03-01T12:00:00.000Z');

/** `seconds` after {@link T0} (negative: before). */
export function at(seconds: number): Date {
  return new Date(T0.getTime() + seconds * 1000);
}

export function issuerRecord(overrides: Partial<IssuerRecord> = {}): IssuerRecord {
  return {
    id: 'iss-1',
    name: 'contoso',
    description: '',
    issuerUri: 'https://idp.test/tenant-1/',
    protocols: ['wsfed'],
    metadataUrl: 'http://127.0.0.1:1/metadata.xml',
    loginUrl: null,
    useForLogin: true,
    label: 'CONTOSO',
    refreshIntervalSeconds: 3600,
    signaturePolicy: { mode: 'self-consistent' },
    allowSha1: false,
    allowedTenants: [],
    discontinuityPolicy: 'auto',
    requireSignedAssertion: true,
    domains: [],
    createdAt: at(-30 * 86_400),
    updatedAt: at(-30 * 86_400),
    version: 1,
    ...overrides,
  };
}

let nextKey = 1;

/** A key record for a certificate (or bare thumbprint when `certificate` is omitted). */
export function keyRecord(
  certificate: CertificateInfo | undefined,
  overrides: Partial<KeyRecord> & { state?: KeyState } = {},
): KeyRecord {
  const id = `key-${nextKey++}`;
  const firstSeenAt = overrides.firstSeenAt ?? at(-86_400);
  const addedBy = overrides.addedBy ?? 'refresh';
  return {
    id,
    issuerId: 'iss-1',
    sha1: certificate?.sha1 ?? null,
    sha256: certificate?.sha256 ?? null,
    kid: null,
    certificateDer: certificate?.der ?? null,
    jwk: null,
    subject: certificate?.subject ?? null,
    notBefore: certificate?.notBefore ?? null,
    notAfter: certificate?.notAfter ?? null,
    source: 'metadata',
    addedBy,
    state: 'active',
    stateChangedAt: at(-86_400),
    firstSeenAt,
    // As the store sets it: a refresh's key serves its probation from when it was first seen.
    probationFrom: addedBy === 'refresh' ? firstSeenAt : null,
    lastSeenInMetadataAt: at(-3600),
    lastUsedAt: null,
    ...overrides,
  };
}

export function refreshState(overrides: Partial<RefreshStateRecord> = {}): RefreshStateRecord {
  return {
    issuerId: 'iss-1',
    lastAttemptAt: at(-3600),
    lastSuccessAt: at(-3600),
    lastOutcome: 'success',
    lastErrorCode: null,
    lastErrorMessage: null,
    consecutiveFailures: 0,
    nextAttemptAt: at(0),
    ...overrides,
  };
}
