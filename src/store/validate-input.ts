/*
 * The one place where input to the store is checked and given its defaults.
 * Every backend calls these functions before touching its database, so SQLite
 * and PostgreSQL accept and refuse exactly the same things. Each function
 * throws `CG_STORE_INVALID` with `detail.field` naming the offending field.
 *
 * This module is the stable entry point; the checks live in one file per
 * kind of record.
 */
export { normalizeActor, normalizeInstant } from './input-values.js';
export {
  DISCONTINUITY_POLICIES,
  ISSUER_DEFAULTS,
  PROTOCOLS,
  normalizeIssuerPatch,
  normalizeNewIssuer,
  type IssuerFields,
} from './validate-issuer-input.js';
export {
  KEY_SOURCES,
  KEY_STATES,
  normalizeKeyState,
  normalizeNewKey,
  type KeyFields,
} from './validate-key-input.js';
export {
  normalizeClaimMappingPatch,
  normalizeNewClaimMapping,
  normalizeNewRealm,
  normalizeRealmPatch,
  type ClaimMappingFields,
  type RealmFields,
} from './validate-realm-input.js';
export {
  normalizeAuditLimit,
  normalizeNewAuditEntry,
  normalizePendingChange,
  normalizePendingDecision,
  normalizeRefreshApplication,
  normalizeReplay,
  normalizeTokenClaimTypes,
  type NormalizedRefreshApplication,
} from './validate-refresh-input.js';
