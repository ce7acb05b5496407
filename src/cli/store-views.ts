import { daysUntilExpiry } from '../crypto/certificate.js';
import type { KeyRecord, RefreshStateRecord } from '../store/model.js';
import { formatDate, formatInstant } from './output.js';

/** A key as the CLI shows it: the record without its certificate bytes, with days left. */
export interface KeyView {
  readonly id: string;
  readonly issuerId: string;
  /** The issuer's name. */
  readonly issuer: string;
  readonly state: KeyRecord['state'];
  readonly source: KeyRecord['source'];
  readonly sha1: string | null;
  readonly sha256: string | null;
  readonly kid: string | null;
  readonly subject: string | null;
  readonly hasCertificate: boolean;
  readonly notBefore: Date | null;
  readonly notAfter: Date | null;
  /** Whole days until `notAfter` (negative once expired); null without a certificate. */
  readonly daysLeft: number | null;
  readonly addedBy: string;
  readonly firstSeenAt: Date;
  readonly stateChangedAt: Date;
  readonly lastSeenInMetadataAt: Date | null;
  readonly lastUsedAt: Date | null;
}

/** The view of one stored key. */
export function viewKey(key: KeyRecord, issuerName: string, now: Date): KeyView {
  return {
    id: key.id,
    issuerId: key.issuerId,
    issuer: issuerName,
    state: key.state,
    source: key.source,
    sha1: key.sha1,
    sha256: key.sha256,
    kid: key.kid,
    subject: key.subject,
    hasCertificate: key.certificateDer !== null,
    notBefore: key.notBefore,
    notAfter: key.notAfter,
    daysLeft: key.notAfter === null ? null : daysUntilExpiry({ notAfter: key.notAfter }, now),
    addedBy: key.addedBy,
    firstSeenAt: key.firstSeenAt,
    stateChangedAt: key.stateChangedAt,
    lastSeenInMetadataAt: key.lastSeenInMetadataAt,
    lastUsedAt: key.lastUsedAt,
  };
}

/** The cells of a key row: STATE, SOURCE, SHA-1 (or SHA-256 / kid), EXPIRES, DAYS LEFT, LAST SEEN IN METADATA. */
export function keyCells(key: KeyView): string[] {
  return [
    key.state,
    key.source,
    key.sha1 ?? key.sha256 ?? `kid ${key.kid ?? '?'}`,
    key.notAfter === null ? '' : formatDate(key.notAfter),
    key.daysLeft === null ? '' : String(key.daysLeft),
    key.lastSeenInMetadataAt === null ? '' : formatInstant(key.lastSeenInMetadataAt),
  ];
}

/** The header matching {@link keyCells}. */
export const KEY_HEADER = ['STATE', 'SOURCE', 'SHA-1', 'EXPIRES', 'DAYS LEFT', 'LAST SEEN IN METADATA'];

/** `success 2026-11-29T12:00:00Z`, `failure CG_META_… 2026-…`, or `never`. */
export function describeLastRefresh(state: RefreshStateRecord | undefined): string {
  if (state === undefined || state.lastAttemptAt === null || state.lastOutcome === null) return 'never';
  const code = state.lastErrorCode === null ? '' : ` ${state.lastErrorCode}`;
  return `${state.lastOutcome}${code} ${formatInstant(state.lastAttemptAt)}`;
}
