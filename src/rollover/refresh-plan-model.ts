import type { MetadataSignatureReport } from '../metadata/check-metadata-signature.js';
import type { IssuerMetadata } from '../metadata/model.js';
import type { MetadataFetched, MetadataNotModified } from '../metadata/process-metadata-response.js';
import type {
  Actor,
  IssuerRecord,
  KeyRecord,
  MetadataSnapshotRecord,
  PendingChangeRecord,
  RefreshFacts,
  RefreshStateRecord,
} from '../store/model.js';
import type { RefreshApplication } from '../store/store.js';
import type { Alert } from './alerts.js';

/** Why a refresh ran: for the audit log. */
export interface RefreshTrigger {
  readonly reason: 'start' | 'schedule' | 'unknown-key' | 'manual';
  /** For `unknown-key`: the thumbprints / kid of the token's key. */
  readonly observed?: {
    readonly sha1?: string | undefined;
    readonly sha256?: string | undefined;
    readonly kid?: string | undefined;
  };
  /**
   * For `unknown-key`: when the latest token waiting for this refresh
   * arrived. For `start`: when the engine started. A refresh of the issuer
   * that began later (an administrator's, a token's, another instance's)
   * makes this one unnecessary.
   */
  readonly notBefore?: Date;
}

/** A coded failure: a ClaimsgateError, or anything reduced to its code and message. */
export interface RefreshError {
  readonly code: string;
  readonly message: string;
}

/** A fetched document, parsed, with its signature report — or the error parsing it raised. */
export type ParsedDocument =
  | { readonly metadata: IssuerMetadata; readonly signature: MetadataSignatureReport }
  | { readonly error: RefreshError };

/** What one document request produced. */
export type DocumentAttempt =
  | { readonly status: 'fetched'; readonly response: MetadataFetched; readonly parsed: ParsedDocument }
  | { readonly status: 'not-modified'; readonly response: MetadataNotModified }
  | {
      readonly status: 'failed';
      readonly url: string;
      readonly error: RefreshError;
      readonly httpStatus?: number | null;
    };

/**
 * What one metadata refresh's requests produced: the configured document,
 * and for an OpenID Connect discovery document the key set its `jwks_uri`
 * names (ignored on a failed attempt).
 */
export type RefreshAttempt = DocumentAttempt & {
  /**
   * The key set request: made for a discovery document that passed its
   * checks, and for a 304 on the discovery document of an OpenID Connect
   * last-known-good (keys roll without the discovery document changing).
   */
  readonly keySet?: DocumentAttempt;
};

/** Everything `planRefresh` decides from. */
export interface PlanRefreshInput {
  readonly issuer: IssuerRecord;
  /** Every key of the issuer, in any state and from any source. */
  readonly keys: readonly KeyRecord[];
  /** The current last-known-good document, if any. */
  readonly previousSnapshot: MetadataSnapshotRecord | undefined;
  readonly previousState: RefreshStateRecord | undefined;
  /** The issuer's pending change (a document held for lack of key continuity), if any. */
  readonly pendingChange?: PendingChangeRecord | undefined;
  readonly attempt: RefreshAttempt;
  readonly now: Date;
  /** When the fetch began (recorded as the refresh state's `lastAttemptAt`); default `now`. */
  readonly startedAt?: Date;
  /** How long a key that left the metadata stays trusted (`retiring`); 0 retires it at once. */
  readonly graceSeconds: number;
  /**
   * How long a key a document brought in must have been known before it
   * vouches for another document's continuity; default a day.
   */
  readonly probationSeconds?: number;
  /** First retry delay after a failure, doubled per further failure, capped at the interval; default 30 s. */
  readonly retryBaseSeconds?: number;
  /** Jitter of the next scheduled refresh as a fraction of the interval (e.g. −0.1 … 0.1); default 0. */
  readonly intervalJitter?: number;
  readonly trigger?: RefreshTrigger;
  /** Who the audit entries name; default `refresh`. */
  readonly actor?: Actor;
}

/** What a refresh changes, in one transaction, and the alerts it raises. */
export interface RefreshPlan {
  readonly outcome: RefreshFacts['outcome'];
  readonly error: RefreshError | undefined;
  readonly application: RefreshApplication;
  readonly alerts: readonly Alert[];
}

/** The facts of one request, before the refresh's outcome is known. */
export type FetchFacts = Pick<RefreshFacts, 'url' | 'httpStatus' | 'etag' | 'sha256'>;
