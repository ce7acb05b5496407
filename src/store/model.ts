import type { KeySource, KeyState } from '../tokens/trust-snapshot.js';
import type { ClaimMappingFields } from './claim-mapping-schema.js';
import type { DISCONTINUITY_POLICIES, IssuerFields, PROTOCOLS } from './issuer-schema.js';
import type { RealmFields } from './realm-schema.js';

export type { ClaimMappingPatch, NewClaimMapping } from './claim-mapping-schema.js';
export type { IssuerPatch, NewIssuer } from './issuer-schema.js';
export type { NewRealm, RealmPatch } from './realm-schema.js';

/** The sign-in protocols an issuer speaks. */
export type Protocol = (typeof PROTOCOLS)[number];

/**
 * Who or what made a change, as recorded in the audit log:
 * `admin:<name>`, `cli:<os user>`, `refresh`, `rollover`, `system`.
 */
export type Actor = string;

/**
 * The actor of what a metadata refresh does: the `addedBy` of every key a
 * document brought in, which serves the continuity probation (`probationFrom`).
 */
export const REFRESH_ACTOR: Actor = 'refresh';

/**
 * What a refresh does with a document that replaces an issuer's keys without
 * continuity (docs/rollover.md, "Key continuity"): `hold` keeps the current
 * keys and waits for an administrator's approval; `accept-with-alert`
 * applies it at once with a critical alert, cutting the replaced keys'
 * grace short; `auto` (the default) holds a document fetched over plain
 * http and accepts one fetched over https.
 */
export type DiscontinuityPolicy = (typeof DISCONTINUITY_POLICIES)[number];

/**
 * An identity provider the relying party trusts: its fields as checked
 * (declared once, with their meaning, in issuer-schema.ts), and what the
 * store adds.
 */
export interface IssuerRecord extends IssuerFields {
  readonly id: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Incremented on every update; used for optimistic concurrency. */
  readonly version: number;
}

/** A key trusted (or once trusted) for one issuer. */
export interface KeyRecord {
  readonly id: string;
  readonly issuerId: string;
  /** SHA-1 thumbprint, uppercase hex; null for a bare SHA-256 thumbprint or a JWK without certificate. */
  readonly sha1: string | null;
  readonly sha256: string | null;
  readonly kid: string | null;
  /** The certificate (DER) when known; null for a bare thumbprint entered by hand. */
  readonly certificateDer: Buffer | null;
  /** The public JWK when the key came from a JWKS without certificate. */
  readonly jwk: Readonly<Record<string, unknown>> | null;
  readonly subject: string | null;
  readonly notBefore: Date | null;
  readonly notAfter: Date | null;
  readonly source: KeySource;
  /** Who added it: `refresh` for metadata keys, the actor for manual ones. */
  readonly addedBy: Actor;
  readonly state: KeyState;
  readonly stateChangedAt: Date;
  readonly firstSeenAt: Date;
  /**
   * When the key's continuity probation began (docs/rollover.md, "Key
   * continuity"): when a refresh brought it in, or back into a usable state
   * from retired or expired (never from revoked), so that the time it spent untrusted
   * does not count. Null when an administrator vouched for it — added it,
   * or made it usable again by hand — which establishes it at once.
   */
  readonly probationFrom: Date | null;
  /** Last refresh whose metadata published it; null for manual keys. */
  readonly lastSeenInMetadataAt: Date | null;
  /** Last time a token signed by it was accepted. */
  readonly lastUsedAt: Date | null;
}

/** A key to add: a certificate, a JWK, or a bare thumbprint. */
export interface NewKey {
  readonly issuerId: string;
  readonly sha1?: string | null;
  readonly sha256?: string | null;
  readonly kid?: string | null;
  readonly certificateDer?: Buffer | null;
  readonly jwk?: Readonly<Record<string, unknown>> | null;
  readonly subject?: string | null;
  readonly notBefore?: Date | null;
  readonly notAfter?: Date | null;
  readonly source: KeySource;
  readonly state?: KeyState;
  readonly lastSeenInMetadataAt?: Date | null;
}

/**
 * A relying-party realm: what tokens are addressed to and where users
 * return. Its fields as checked (declared once, with their meaning, in
 * realm-schema.ts), and what the store adds.
 */
export interface RealmRecord extends RealmFields {
  readonly id: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** What removing an issuer did to a realm that named it. */
export interface RealmUnlink {
  readonly realmId: string;
  readonly realmUri: string;
  /** The realm's home realm named the issuer and was cleared: its users choose an issuer again. */
  readonly homeRealmCleared: boolean;
  /** The issuer was one of the realm's allowed issuers and left the list. */
  readonly allowedIssuerRemoved: boolean;
}

/** What removing an issuer did besides: the realms updated in the same transaction. */
export interface IssuerRemoval {
  readonly realms: readonly RealmUnlink[];
}

/**
 * How an issuer's claims become an identity: `label:value-of-nameClaim`.
 * Its fields as checked (declared once, with their meaning, in
 * claim-mapping-schema.ts), and what the store adds.
 */
export interface ClaimMappingRecord extends ClaimMappingFields {
  readonly id: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/**
 * A local admin account: who may sign in at `/admin/login` with a password.
 * The password is kept only as its scrypt hash (see src/management/account-passwords.ts).
 */
export interface AdminAccountRecord {
  readonly id: string;
  /** 1–64 of `a–z 0–9 . _ @ -`, stored lower-cased: names are unique whatever their case. */
  readonly username: string;
  /** `scrypt$15$8$1$<salt>$<key>`; never shown, logged or audited. */
  readonly passwordHash: string;
  readonly createdAt: Date;
  /** The last change of the account (its password). */
  readonly updatedAt: Date;
  /** The last successful sign-in; null before the first. */
  readonly lastLoginAt: Date | null;
}

/** A local admin account to create: the name and the hash of its password (never the password). */
export interface NewAdminAccount {
  readonly username: string;
  readonly passwordHash: string;
}

/** The facts of one metadata fetch, kept with refresh audit entries. */
export interface RefreshFacts {
  readonly url: string;
  readonly httpStatus: number | null;
  readonly etag: string | null;
  /** SHA-256 of the document, lowercase hex. */
  readonly sha256: string | null;
  readonly outcome: 'success' | 'not-modified' | 'failure';
  /** The error code of a failure. */
  readonly code: string | null;
}

/** One entry of the append-only audit log. */
export interface AuditEntry {
  /** Increasing sequence number. */
  readonly id: number;
  readonly at: Date;
  readonly actor: Actor;
  /** `issuer.created`, `key.added`, `key.retired`, `key.revoked`, `refresh.failed`, `alert.key-expiring`, … */
  readonly action: string;
  readonly issuerId: string | null;
  /** What the entry is about, e.g. a key thumbprint or a realm URI. */
  readonly subject: string | null;
  readonly before: unknown;
  readonly after: unknown;
  readonly refresh: RefreshFacts | null;
}

/** An audit entry to append; `id` and `at` are assigned by the store. */
export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at'> & { readonly at?: Date };

/** The last document that became an issuer's trust: what a restart during an outage starts from. */
export interface MetadataSnapshotRecord {
  readonly issuerId: string;
  readonly url: string;
  readonly fetchedAt: Date;
  readonly etag: string | null;
  readonly lastModified: string | null;
  readonly sha256: string;
  readonly document: Buffer;
  /** SHA-1 of the metadata signer, when the document was signed. */
  readonly signerSha1: string | null;
}

/** Where an issuer's refreshing stands. */
export interface RefreshStateRecord {
  readonly issuerId: string;
  readonly lastAttemptAt: Date | null;
  readonly lastSuccessAt: Date | null;
  readonly lastOutcome: RefreshFacts['outcome'] | null;
  readonly lastErrorCode: string | null;
  readonly lastErrorMessage: string | null;
  readonly consecutiveFailures: number;
  /** When the next scheduled attempt is due (backoff after failures). */
  readonly nextAttemptAt: Date | null;
}

/**
 * The claim types (never values) of the last token accepted from an issuer:
 * what an administrator writes a claim mapping from.
 */
export interface TokenClaimTypesRecord {
  readonly issuerId: string;
  /** Sorted, without repeats. */
  readonly claimTypes: readonly string[];
  /** When a token first carried this set (it is written only when the set changes). */
  readonly since: Date;
}

/**
 * A session ended before its time (sign-out, admin logout, a password change,
 * an account deleted): the session with `sid`, or every session of `user`
 * that started at or before `revokedBefore`. Kept until `expiresAt`, when no
 * session it covers can be alive any more.
 */
export interface SessionRevocationRecord {
  readonly sid: string | null;
  readonly user: string | null;
  readonly revokedBefore: Date | null;
  readonly expiresAt: Date;
}

/** A revocation to record: one session by its `sid`, or a user's sessions started at or before an instant. */
export type NewSessionRevocation =
  | { readonly sid: string; readonly expiresAt: Date }
  | { readonly user: string; readonly revokedBefore: Date; readonly expiresAt: Date };

/**
 * Why a document was judged discontinuous: every key replaced by an unsigned
 * document, or by one signed by a key the issuer was not trusted with; or an
 * unsigned document from an issuer whose last-known-good was signed.
 */
export type DiscontinuityReason = 'unsigned-replacement' | 'unknown-signer-replacement' | 'downgrade';

/** Where an administrator stands on a pending change. */
export type PendingChangeDecision = 'pending' | 'approved' | 'rejected';

/** A key a pending document publishes, as the admin surfaces show it. */
export interface PendingChangeKey {
  readonly sha1: string | null;
  readonly sha256: string | null;
  readonly kid: string | null;
  readonly subject: string | null;
  readonly notBefore: Date | null;
  readonly notAfter: Date | null;
}

/**
 * A document that would replace an issuer's keys without continuity and
 * waits for an administrator (one per issuer). The issuer keeps its keys
 * meanwhile; approving lets the next refresh of exactly this document
 * (`sha256`) apply it; rejecting keeps the record so the same document
 * raises no new alert.
 */
export interface PendingChangeRecord {
  readonly issuerId: string;
  readonly detectedAt: Date;
  /** The URL the document was fetched from (after redirects). */
  readonly url: string;
  /** SHA-256 of the document (for OpenID Connect, of the discovery + key set pair), lowercase hex. */
  readonly sha256: string;
  /** SHA-1 of the document's signer, when it is validly signed. */
  readonly signerSha1: string | null;
  readonly reason: DiscontinuityReason;
  /** Every signing key the document publishes. */
  readonly keys: readonly PendingChangeKey[];
  readonly decision: PendingChangeDecision;
  readonly decidedBy: Actor | null;
  readonly decidedAt: Date | null;
}

/**
 * What changed, as broadcast to every instance sharing the store
 * (`session`: a session revocation; `pending-change`: a held document or its decision).
 */
export interface StoreChange {
  readonly kind: 'issuer' | 'key' | 'realm' | 'mapping' | 'refresh' | 'session' | 'pending-change';
  /** The issuer concerned, when there is one. */
  readonly issuerId: string | null;
}
