import type { Alert, AlertThresholds } from '../rollover/alerts.js';
import type { EngineMetrics, RolloverEngine } from '../rollover/rollover-engine.js';
import type { MetadataSignaturePolicy } from '../metadata/check-metadata-signature.js';
import type { MetadataEndpoint, MetadataFormat } from '../metadata/model.js';
import type {
  Actor,
  ClaimMappingRecord,
  DiscontinuityReason,
  IssuerPatch,
  IssuerRecord,
  NewIssuer,
  PendingChangeDecision,
  RealmRecord,
} from '../store/model.js';
import type { ClaimMappingInput, ClaimMappingUpdate } from '../store/claim-mapping-schema.js';
import type { AddKeyInput } from '../store/key-schema.js';
import type { RealmInput, RealmUpdate } from '../store/realm-schema.js';
import type { Store } from '../store/store.js';
import type { KeySource, KeyState } from '../tokens/trust-snapshot.js';
import type { ThumbprintInspection } from './thumbprint.js';

export { inspectThumbprintInput } from './thumbprint.js';
export type { ThumbprintInspection } from './thumbprint.js';

/** An instant as an ISO 8601 string in UTC. */
export type IsoDateTime = string;

/** What the service needs. */
export interface ManagementServiceOptions {
  readonly store: Store;
  /** The rollover engine whose refreshes "Refresh now" and imports run. */
  readonly engine: RolloverEngine;
  /** The clock for days left, ages and alerts; default the system clock. */
  readonly now?: () => Date;
  /** The fetch for import previews and the thumbprint tool; default `globalThis.fetch`. */
  readonly fetch?: typeof globalThis.fetch;
  /** Allow plain-http metadata URLs to hosts that are not loopback; default false. */
  readonly allowHttp?: boolean;
  /** Time allowed for one metadata fetch; default 10 000 ms. */
  readonly fetchTimeoutMs?: number;
  /** Largest metadata document accepted; default 5 MiB. */
  readonly maxMetadataBytes?: number;
  /** Thresholds the issuer alerts are evaluated with; default the engine's defaults. */
  readonly alertThresholds?: Partial<AlertThresholds>;
  /** The engine's grace period for keys that left the metadata, for import previews; default 3 600 s. */
  readonly graceSeconds?: number;
  /**
   * The engine's key continuity probation (its `continuityProbationSeconds`),
   * for import previews; default a day, as the engine's.
   */
  readonly continuityProbationSeconds?: number;
}

/** An alert the current state of an issuer calls for (evaluated now, not read from the log): the engine's alert without its dedupe key and detail. */
export type AlertView = Omit<Alert, 'dedupeKey' | 'detail'>;

/**
 * Every field of an issuer (declared once in src/store/issuer-schema.ts),
 * its instants as ISO strings; give `version` back as `expectedVersion` to
 * update without overwriting someone else's change.
 */
export interface IssuerView extends Omit<IssuerRecord, 'createdAt' | 'updatedAt'> {
  readonly createdAt: IsoDateTime;
  readonly updatedAt: IsoDateTime;
}

/** Where an issuer's refreshing stands. */
export interface RefreshView {
  readonly lastAttemptAt: IsoDateTime | null;
  readonly lastOutcome: 'success' | 'not-modified' | 'failure' | null;
  readonly lastErrorCode: string | null;
  readonly lastErrorMessage: string | null;
  readonly lastSuccessAt: IsoDateTime | null;
  /** Seconds since the last good refresh (success or 304), or null when there was none. */
  readonly lastSuccessAgeSeconds: number | null;
  readonly consecutiveFailures: number;
  /** When the next scheduled attempt is due; null for a manual-only issuer or before the first refresh. */
  readonly nextAttemptAt: IsoDateTime | null;
}

/** The key of an issuer that expires first among its usable keys. */
export interface NextExpiryView {
  readonly keyId: string;
  /** SHA-1, else SHA-256, else `kid:<kid>`. */
  readonly thumbprint: string;
  readonly notAfter: IsoDateTime;
  /** Whole days left (negative once expired). */
  readonly daysLeft: number;
}

/** A key a pending document publishes, or a trusted key it would remove. */
export interface PendingKeyView {
  readonly sha1: string | null;
  readonly sha256: string | null;
  readonly kid: string | null;
  readonly subject: string | null;
  readonly notAfter: IsoDateTime | null;
}

/**
 * A document a refresh held because it replaces the issuer's keys without
 * continuity, with the diff an administrator reviews before approving it.
 */
export interface PendingChangeView {
  readonly issuerId: string;
  readonly detectedAt: IsoDateTime;
  /** Where it was fetched from. */
  readonly url: string;
  /** SHA-256 of the document (for OpenID Connect, of the discovery + key set pair): give it back to approve or reject. */
  readonly sha256: string;
  /** SHA-1 of its signer when validly signed, else null. */
  readonly signerSha1: string | null;
  readonly reason: DiscontinuityReason;
  readonly decision: PendingChangeDecision;
  readonly decidedBy: Actor | null;
  readonly decidedAt: IsoDateTime | null;
  /** Every key the document publishes. */
  readonly keys: readonly PendingKeyView[];
  /** Published keys the issuer is not trusted with now: approving trusts them. */
  readonly added: readonly PendingKeyView[];
  /** Keys from metadata the issuer is trusted with now that the document no longer publishes: approving retires them at once. */
  readonly removed: readonly PendingKeyView[];
}

/** An issuer as the issuers list shows it. */
export interface IssuerSummary {
  readonly issuer: IssuerView;
  /** How many keys the issuer has in each state (every state present, 0 when none). */
  readonly keyCounts: Readonly<Record<KeyState, number>>;
  /** Keys that validate tokens now (announced, active, retiring). */
  readonly usableKeys: number;
  readonly nextExpiry: NextExpiryView | null;
  readonly refresh: RefreshView;
  readonly alerts: readonly AlertView[];
  /** A document held for lack of key continuity, whatever its decision; null when none. */
  readonly pendingChange: PendingChangeView | null;
}

/** One trusted (or once trusted) key. */
export interface KeyView {
  readonly id: string;
  readonly issuerId: string;
  readonly state: KeyState;
  /** Whether it validates tokens now (announced, active, retiring). */
  readonly usable: boolean;
  readonly source: KeySource;
  readonly sha1: string | null;
  readonly sha256: string | null;
  readonly kid: string | null;
  readonly subject: string | null;
  /** Whether the certificate itself is stored (false for a bare thumbprint or a JWK without x5c). */
  readonly hasCertificate: boolean;
  readonly notBefore: IsoDateTime | null;
  readonly notAfter: IsoDateTime | null;
  /** Whole days to `notAfter` (negative once expired); null without a certificate. */
  readonly daysLeft: number | null;
  readonly addedBy: Actor;
  readonly stateChangedAt: IsoDateTime;
  readonly firstSeenAt: IsoDateTime;
  readonly lastSeenInMetadataAt: IsoDateTime | null;
  readonly lastUsedAt: IsoDateTime | null;
}

/** The last document that became an issuer's trust. */
export interface SnapshotView {
  readonly url: string;
  readonly fetchedAt: IsoDateTime;
  readonly sha256: string;
  readonly etag: string | null;
  readonly signerSha1: string | null;
}

/** The claim types (never values) of the last token accepted from an issuer: what to write a mapping from. */
export interface TokenClaimTypesView {
  /** Sorted. */
  readonly claimTypes: readonly string[];
  /** When a token first carried this set of types. */
  readonly since: IsoDateTime;
}

/** An issuer with everything the issuer page shows. */
export interface IssuerDetail extends IssuerSummary {
  /** Every key, usable ones first, then by first seen (newest first). */
  readonly keys: readonly KeyView[];
  readonly snapshot: SnapshotView | null;
  readonly mappings: readonly ClaimMappingView[];
  /** The claim types of the last accepted token; null before the first sign-in. */
  readonly lastTokenClaims: TokenClaimTypesView | null;
}

/** A realm that named an issuer being removed, and what the removal does to it. */
export interface RealmUnlinkView {
  readonly realmId: string;
  readonly realmUri: string;
  /** Its home realm named the issuer and is cleared: its users choose an issuer again. */
  readonly homeRealmCleared: boolean;
  /** The issuer leaves its allowed issuers. */
  readonly allowedIssuerRemoved: boolean;
  /** The issuers it still allows, by name (empty: every issuer, as before). */
  readonly remainingAllowedIssuers: readonly string[];
}

/** What removing an issuer removes, and what it changes in the realms that name it (in the same transaction). */
export interface IssuerRemovalView {
  readonly issuerId: string;
  readonly issuerName: string;
  readonly keys: number;
  readonly mappings: number;
  readonly realms: readonly RealmUnlinkView[];
}

/** The fields of a new issuer; those left out take the store's defaults (the store's `NewIssuer`, from src/store/issuer-schema.ts). */
export type IssuerInput = NewIssuer;

/** The fields an issuer update changes; those left out stay as they are. */
export type IssuerUpdate = IssuerPatch;

/** What "Refresh now" (or an import's refresh) did. */
export interface RefreshOutcomeView {
  readonly issuerId: string;
  /** See `RefreshResult.outcome`; a forced refresh is never `skipped` unless the issuer has no metadata URL. */
  readonly outcome: 'success' | 'not-modified' | 'failure' | 'skipped' | 'deferred';
  readonly code: string | null;
  /** Alerts the refresh fired. */
  readonly alerts: readonly AlertView[];
  /** The issuer as it stands after the refresh. */
  readonly issuer: IssuerDetail;
}

/** What "Refresh all" did: how many issuers it refreshed, by outcome, and which failed. */
export interface RefreshAllView {
  /** Issuers with a metadata URL, each refreshed once. */
  readonly issuers: number;
  readonly seconds: number;
  readonly byOutcome: Readonly<Record<RefreshOutcomeView['outcome'], number>>;
  /** The issuers whose refresh failed, by name, with the code (the first 100). */
  readonly failures: readonly { readonly issuer: string; readonly code: string | null }[];
}

/** What an import from metadata is asked to do. */
export interface ImportRequest {
  /** The metadata document (federation metadata, SAML metadata, OIDC discovery or a JWKS). */
  readonly metadataUrl: string;
  /** The existing issuer to update (ID or name); absent to create a new one. */
  readonly issuer?: string;
  /** The name of the new issuer; required when `issuer` is absent. */
  readonly name?: string;
  /**
   * The issuer URI to select the entity by and to store. Needed for a bare
   * JWKS (which names no issuer) and to pick one entity out of an
   * `EntitiesDescriptor`; default what the document names (or, for an
   * existing issuer, its current URI when it is not a template).
   */
  readonly issuerUri?: string;
}

/** The request to apply an import, carrying the SHA-256 of the document the admin previewed. */
export interface ImportApplyRequest extends ImportRequest {
  /** `sha256` of the {@link ImportPreview} the admin saw (lowercase or uppercase hex). */
  readonly expectedSha256: string;
  /** `keySetSha256` of the preview: required when the preview had one (OpenID Connect discovery). */
  readonly expectedKeySetSha256?: string;
  /** For an update: the issuer `version` the preview showed; a newer version refuses with `CG_STORE_CONFLICT`. */
  readonly expectedVersion?: number;
}

/** One issuer field as it is and as the import would set it. */
export interface ImportFieldDiff {
  readonly field: 'issuerUri' | 'loginUrl' | 'protocols' | 'metadataUrl';
  /** Null when the issuer does not exist yet or the field is unset. */
  readonly current: string | readonly string[] | null;
  readonly proposed: string | readonly string[] | null;
  readonly changed: boolean;
}

/** A key in an import preview. */
export interface ImportKeyView {
  readonly sha1: string | null;
  readonly sha256: string | null;
  readonly kid: string | null;
  readonly subject: string | null;
  readonly notBefore: IsoDateTime | null;
  readonly notAfter: IsoDateTime | null;
  readonly daysLeft: number | null;
  /** Where the document publishes it (`fed:SecurityTokenServiceType`, `IDPSSODescriptor`, `jwks`…); empty for a stored key no longer published. */
  readonly sections: readonly string[];
  /** The stored key's ID and state, for keys the issuer already has. */
  readonly keyId: string | null;
  readonly state: KeyState | null;
  /**
   * The state the import stores, exactly as its refresh plans it: `announced`
   * for a new trusted key, `expired` for a certificate past its notAfter
   * (recorded, never trusted), `retiring` for a key no longer published…
   * For a document the refresh would hold for lack of key continuity (the
   * preview warns of it), the state its approval would store.
   */
  readonly stateAfter: KeyState;
  /** Whether the key validates tokens once the import is applied (for a held document: once approved). */
  readonly usableAfter: boolean;
}

/** What the document's own signature says, and whether the issuer's policy accepts it. */
export interface ImportSignatureView {
  /** `absent` for JSON documents, which cannot carry one. */
  readonly status: 'unsigned' | 'valid' | 'invalid' | 'absent';
  readonly signerSha1: string | null;
  readonly signerSubject: string | null;
  readonly signatureAlgorithm: string | null;
  /** For an invalid signature: its `CG_SIG_*` code and message. */
  readonly reason: string | null;
  readonly message: string | null;
  /** The policy the issuer is (or will be) refreshed under. */
  readonly policy: MetadataSignaturePolicy['mode'];
}

/** The diff an admin confirms before an import applies. */
export interface ImportPreview {
  readonly metadataUrl: string;
  /** SHA-256 of the document bytes, lowercase hex: give it back as `expectedSha256`. */
  readonly sha256: string;
  /** For OpenID Connect discovery: the key set's URL (`jwks_uri`) and SHA-256, whose keys are the ones listed; else null. */
  readonly keySetUrl: string | null;
  readonly keySetSha256: string | null;
  /** For an update: the issuer's current version (give it back as `expectedVersion`); null for a new issuer. */
  readonly version: number | null;
  readonly format: MetadataFormat;
  readonly fetchedAt: IsoDateTime;
  /** `create` a new issuer named `name`, or `update` the existing `issuerId`. */
  readonly mode: 'create' | 'update';
  readonly issuerId: string | null;
  readonly name: string;
  readonly fields: readonly ImportFieldDiff[];
  readonly keys: {
    /** Published and not yet stored for the issuer: added, as `stateAfter` says (announced, or expired). */
    readonly add: readonly ImportKeyView[];
    /** Published and already stored. */
    readonly unchanged: readonly ImportKeyView[];
    /** Stored metadata keys that the document no longer publishes: a refresh would start retiring them. */
    readonly noLongerPublished: readonly ImportKeyView[];
  };
  readonly endpoints: readonly MetadataEndpoint[];
  readonly signature: ImportSignatureView;
  /** Facts worth a second look (expired certificates, template issuer without tenants…). */
  readonly warnings: readonly string[];
}

/** What an applied import did. */
export interface ImportResult {
  readonly created: boolean;
  /** Facts worth a look, e.g. the document changed again between the check and the refresh. */
  readonly warnings: readonly string[];
  /** The first refresh of a new issuer (planned from the document checked), or the forced refresh of an updated one. */
  readonly refresh: RefreshOutcomeView;
}

/** A key to add by hand: exactly one of `certificate` or `thumbprint` (declared in src/store/key-schema.ts). */
export type { AddKeyInput } from '../store/key-schema.js';

/** A key added by hand, with how its input was read. */
export interface AddedKey {
  readonly key: KeyView;
  /** For a thumbprint: the cleaned value and every character removed. Null for a certificate. */
  readonly thumbprintInput: ThumbprintInspection | null;
}

/** A realm (its fields declared once, in src/store/realm-schema.ts), with its allowed issuers named. */
export interface RealmView extends Omit<RealmRecord, 'createdAt' | 'updatedAt'> {
  /** The allowed issuers by name (an ID whose issuer is gone is listed as the ID). */
  readonly allowedIssuerNames: readonly string[];
  readonly createdAt: IsoDateTime;
  readonly updatedAt: IsoDateTime;
}

/** A new realm and a realm update, allowed issuers by ID or name (declared in src/store/realm-schema.ts). */
export type { RealmInput, RealmUpdate } from '../store/realm-schema.js';

/** A claim mapping (its fields declared once, in src/store/claim-mapping-schema.ts), with its issuer's name. */
export interface ClaimMappingView extends Omit<ClaimMappingRecord, 'createdAt' | 'updatedAt'> {
  readonly issuerName: string;
  readonly createdAt: IsoDateTime;
  readonly updatedAt: IsoDateTime;
}

/**
 * A new claim mapping (the issuer by ID or name) and a mapping update (the
 * issuer of a mapping does not change), declared in src/store/claim-mapping-schema.ts.
 */
export type { ClaimMappingInput, ClaimMappingUpdate } from '../store/claim-mapping-schema.js';

/** Which audit entries to list. Every filter given must match. */
export interface AuditFilter {
  /** Issuer ID or name. */
  readonly issuer?: string;
  /** Exact action (`key.revoked`), or a prefix ending in `.` (`key.`). */
  readonly action?: string;
  /** Exact actor. */
  readonly actor?: string;
  /** Entries at or after this instant. */
  readonly since?: Date;
  /** Entries before this instant. */
  readonly until?: Date;
  /** Case-insensitive text searched in action, actor, subject and the before/after values. */
  readonly text?: string;
  /** Entries with an ID greater than this (paging: pass the previous page's `nextAfterId`). */
  readonly afterId?: number;
  /** Most entries returned, oldest first; default 100, at most 1 000. */
  readonly limit?: number;
}

export interface AuditEntryView {
  readonly id: number;
  readonly at: IsoDateTime;
  readonly actor: Actor;
  readonly action: string;
  readonly issuerId: string | null;
  /** The issuer's current name, or null when it has none or was deleted. */
  readonly issuerName: string | null;
  readonly subject: string | null;
  readonly before: unknown;
  readonly after: unknown;
  readonly refresh: {
    readonly url: string;
    readonly httpStatus: number | null;
    readonly etag: string | null;
    readonly sha256: string | null;
    readonly outcome: 'success' | 'not-modified' | 'failure';
    readonly code: string | null;
  } | null;
}

export interface AuditPage {
  readonly entries: readonly AuditEntryView[];
  /** Give as `afterId` for the next page; null when this page is the last. */
  readonly nextAfterId: number | null;
}

/** A certificate as the thumbprint tool shows it. */
export interface CertificateView {
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  readonly notBefore: IsoDateTime;
  readonly notAfter: IsoDateTime;
  readonly daysLeft: number;
  readonly keyType: string;
  readonly keySize: number | null;
  /** Uppercase hex without separators. */
  readonly sha1: string;
  readonly sha256: string;
  /** Where a metadata document carries it (`fed:SecurityTokenServiceType (signing)`…); empty for a pasted certificate. */
  readonly sections: readonly string[];
}

/** The thumbprint tool's answer. */
export interface ThumbprintResult {
  /** `text` for pasted input, else the metadata URL (after redirects). */
  readonly source: string;
  /** SHA-256 of the fetched document (lowercase hex); null for pasted text. */
  readonly documentSha256: string | null;
  readonly certificates: readonly CertificateView[];
}

/** What the health page shows. */
export interface AdminHealth {
  readonly checkedAt: IsoDateTime;
  readonly store: {
    readonly backend: 'sqlite' | 'postgres';
    readonly reachable: boolean;
    /** The error code when the store could not be read. */
    readonly code: string | null;
  };
  readonly engine: EngineMetrics;
  readonly issuers: readonly {
    readonly id: string;
    readonly name: string;
    readonly usableKeys: number;
    readonly refresh: RefreshView;
    readonly alerts: readonly AlertView[];
  }[];
}

/**
 * The admin service: the operations the admin REST API and the admin site
 * share, over the store, the rollover engine, metadata and crypto. No HTTP
 * here. Every mutation takes the acting admin ({@link Actor}, see
 * {@link adminActor}) and is written to the audit log by the store in the
 * same transaction as the change.
 *
 * Every value returned is plain JSON data: instants are ISO 8601 strings in
 * UTC (`2026-03-02T09:30:00.000Z`), absent values `null`; certificates are
 * never returned as bytes and no secret ever appears.
 *
 * Errors are `ClaimsgateError`s: `CG_ADMIN_INPUT_INVALID` for input the
 * service refuses, the store's `CG_STORE_*` (NOT_FOUND, DUPLICATE, CONFLICT,
 * INVALID, UNAVAILABLE), metadata's `CG_META_*`, `CG_CERT_INVALID` and
 * `CG_TRUST_THUMBPRINT_INVALID` for pasted certificates and thumbprints.
 */
export interface ManagementService {
  /** Every issuer with its summary, by name. */
  listIssuers(): Promise<IssuerSummary[]>;
  /** @throws ClaimsgateError `CG_STORE_NOT_FOUND`. */
  getIssuer(idOrName: string): Promise<IssuerDetail>;
  /** Creates an issuer (no refresh: see {@link ManagementService.refreshIssuer} or {@link ManagementService.applyImport}). @throws `CG_ADMIN_INPUT_INVALID`, `CG_STORE_DUPLICATE`, `CG_STORE_INVALID`. */
  createIssuer(input: IssuerInput, actor: Actor): Promise<IssuerDetail>;
  /**
   * Updates an issuer's fields.
   *
   * @throws ClaimsgateError `CG_STORE_NOT_FOUND`; `CG_STORE_CONFLICT` when
   *   `expectedVersion` is given and stale; `CG_STORE_DUPLICATE`, `CG_STORE_INVALID`.
   */
  updateIssuer(
    idOrName: string,
    update: IssuerUpdate,
    actor: Actor,
    expectedVersion?: number,
  ): Promise<IssuerDetail>;
  /**
   * What deleting the issuer would remove and change, without changing
   * anything: its keys and mappings, and each realm that names it (home realm
   * cleared, left out of the allowed issuers).
   *
   * @throws ClaimsgateError `CG_STORE_NOT_FOUND`; `CG_STORE_REFERENCED` naming
   *   the realms that allow this issuer alone (the deletion would be refused).
   */
  previewIssuerDeletion(idOrName: string): Promise<IssuerRemovalView>;
  /**
   * Deletes the issuer with its keys and mappings (the audit log keeps its
   * history), and takes it out of the realms that name it in the same
   * transaction; returns what was removed and changed.
   *
   * @throws ClaimsgateError `CG_STORE_NOT_FOUND`; `CG_STORE_REFERENCED` when a
   *   realm allows this issuer alone (nothing is removed).
   */
  deleteIssuer(idOrName: string, actor: Actor): Promise<IssuerRemovalView>;
  /**
   * "Refresh now": a forced refresh (`reason: 'manual'`), recorded in the
   * audit log as `issuer.refresh-requested` by `actor`.
   *
   * @throws ClaimsgateError `CG_STORE_NOT_FOUND`; `CG_ADMIN_INPUT_INVALID` for an issuer without metadata URL.
   */
  refreshIssuer(idOrName: string, actor: Actor): Promise<RefreshOutcomeView>;
  /**
   * "Refresh all": a forced refresh of every issuer with a metadata URL, 8 at
   * a time (`RolloverEngine.refreshAll`), recorded once in the audit log as
   * `issuers.refresh-all-requested` by `actor`; each refresh audits itself.
   *
   * @throws ClaimsgateError `CG_STORE_*` when the store fails before any refresh began.
   */
  refreshAllIssuers(actor: Actor): Promise<RefreshAllView>;

  /**
   * The issuer's pending change: the document a refresh held because it
   * replaces the keys without continuity, with its diff.
   *
   * @throws ClaimsgateError `CG_STORE_NOT_FOUND` (issuer, or no pending change).
   */
  getPendingChange(idOrName: string): Promise<PendingChangeView>;
  /**
   * Approves the pending change whose SHA-256 the admin reviewed and
   * refreshes the issuer at once, so that this very document is applied (a
   * newer one the endpoint serves meanwhile is judged afresh).
   *
   * @throws ClaimsgateError `CG_STORE_NOT_FOUND`; `CG_STORE_CONFLICT` when a newer
   *   document replaced the one reviewed; `CG_STORE_INVALID` for a malformed SHA-256.
   */
  approvePendingChange(idOrName: string, sha256: string, actor: Actor): Promise<RefreshOutcomeView>;
  /**
   * Rejects the pending change whose SHA-256 the admin reviewed: the issuer
   * keeps its keys, and the same document raises no new alert.
   *
   * @throws ClaimsgateError as {@link ManagementService.approvePendingChange}.
   */
  rejectPendingChange(idOrName: string, sha256: string, actor: Actor): Promise<PendingChangeView>;

  /**
   * Fetches, parses and signature-checks the metadata and returns what an
   * import would change. Stores nothing.
   *
   * @throws ClaimsgateError `CG_META_*` (fetch, parse, signature policy, no
   *   signing keys; `CG_META_SIGNING_KEYS_EXPIRED` when every published key
   *   has expired and the issuer has, or a new one would have, no usable key),
   *   `CG_ADMIN_INPUT_INVALID`, `CG_STORE_NOT_FOUND`, `CG_STORE_DUPLICATE` (name taken).
   */
  previewImport(request: ImportRequest): Promise<ImportPreview>;
  /**
   * Re-fetches the metadata and, when it is still the document previewed,
   * creates the issuer with that document's keys in one transaction (it
   * exists with its keys or not at all), or updates the issuer and runs a
   * forced refresh so that the keys come in through the normal refresh path
   * (audited).
   *
   * @throws ClaimsgateError `CG_STORE_CONFLICT` when the document changed
   *   since the preview (nothing is stored); the errors of {@link ManagementService.previewImport}.
   */
  applyImport(request: ImportApplyRequest, actor: Actor): Promise<ImportResult>;

  /** @throws ClaimsgateError `CG_STORE_NOT_FOUND` for an unknown issuer. */
  listKeys(issuerIdOrName: string): Promise<KeyView[]>;
  /**
   * Adds a key by hand from a pasted certificate or thumbprint (see
   * {@link inspectThumbprintInput}).
   *
   * @throws ClaimsgateError `CG_ADMIN_INPUT_INVALID` (neither or both given),
   *   `CG_CERT_INVALID`, `CG_TRUST_THUMBPRINT_INVALID`, `CG_STORE_NOT_FOUND`, `CG_STORE_DUPLICATE`.
   */
  addKey(issuerIdOrName: string, input: AddKeyInput, actor: Actor): Promise<AddedKey>;
  /** Revokes a key: it no longer validates tokens and no refresh revives it. @throws `CG_STORE_NOT_FOUND`, `CG_ADMIN_INPUT_INVALID` (empty reason). */
  revokeKey(keyId: string, reason: string, actor: Actor): Promise<KeyView>;
  /** Makes a revoked, retired or expired key `active` again. @throws `CG_STORE_NOT_FOUND`, `CG_ADMIN_INPUT_INVALID`. */
  reactivateKey(keyId: string, reason: string, actor: Actor): Promise<KeyView>;

  listRealms(): Promise<RealmView[]>;
  /** @throws ClaimsgateError `CG_STORE_NOT_FOUND`. */
  getRealm(idOrUri: string): Promise<RealmView>;
  /** @throws ClaimsgateError `CG_STORE_DUPLICATE`, `CG_STORE_INVALID`, `CG_STORE_NOT_FOUND` (unknown allowed issuer). */
  createRealm(input: RealmInput, actor: Actor): Promise<RealmView>;
  updateRealm(idOrUri: string, update: RealmUpdate, actor: Actor): Promise<RealmView>;
  deleteRealm(idOrUri: string, actor: Actor): Promise<void>;

  /** Mappings of one issuer (ID or name), or of every issuer. */
  listClaimMappings(issuer?: string): Promise<ClaimMappingView[]>;
  /** @throws ClaimsgateError `CG_STORE_NOT_FOUND`. */
  getClaimMapping(id: string): Promise<ClaimMappingView>;
  createClaimMapping(input: ClaimMappingInput, actor: Actor): Promise<ClaimMappingView>;
  updateClaimMapping(id: string, update: ClaimMappingUpdate, actor: Actor): Promise<ClaimMappingView>;
  deleteClaimMapping(id: string, actor: Actor): Promise<void>;

  /** The audit log, filtered, oldest first, paged by ID. @throws `CG_ADMIN_INPUT_INVALID`, `CG_STORE_NOT_FOUND` (unknown issuer). */
  listAudit(filter?: AuditFilter): Promise<AuditPage>;

  /** Every certificate in pasted text (PEM, bare base64, line breaks allowed). @throws `CG_CERT_INVALID`. */
  thumbprintsFromText(text: string): ThumbprintResult;
  /** Every certificate in the metadata at `url`, with the sections it appears in. @throws `CG_META_*`. */
  thumbprintsFromUrl(url: string): Promise<ThumbprintResult>;

  /** Store reachability, engine metrics, and per issuer the last good refresh and alerts. Never throws for a store outage: it reports it. */
  health(): Promise<AdminHealth>;
}

/**
 * The actor recorded for an admin's changes: `admin:<session user>`, e.g.
 * `admin:local:alice` for the local account `alice`. Both the API and the
 * site use this, so the audit log names an admin the same way whichever
 * they used.
 */
export function adminActor(session: { readonly user: string }): Actor {
  return `admin:${session.user}`;
}
