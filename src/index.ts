// The public API of claimsgate: explicit named exports only.

export {
  ERROR_CODES,
  isErrorCode,
  type ErrorArea,
  type ErrorCode,
  type ErrorCodeSpec,
} from './lib/error-codes.js';
export {
  ClaimsgateError,
  isClaimsgateError,
  type ClaimsgateErrorOptions,
  type ErrorDetail,
} from './lib/errors.js';

export {
  daysUntilExpiry,
  parseCertificateBase64,
  parseCertificateDer,
  parseCertificatesPem,
  readCertificates,
  type CertificateInfo,
} from './crypto/certificate.js';
export {
  computeThumbprint,
  formatThumbprint,
  normalizeThumbprint,
  thumbprintToX5t,
  x5tToThumbprint,
  type NormalizedThumbprint,
  type ThumbprintAlgorithm,
  type ThumbprintCharacter,
  type ThumbprintFormat,
} from './crypto/thumbprint.js';

export { parseXml, type ParsedXml, type XmlLimits } from './xml/parse-xml.js';
export type {
  XmlAttribute,
  XmlChildNode,
  XmlComment,
  XmlDocument,
  XmlElement,
  XmlNode,
  XmlParentNode,
  XmlProcessingInstruction,
  XmlText,
} from './xml/light-dom.js';

export {
  fetchMetadata,
  prepareMetadataRequest,
  type FetchMetadataOptions,
} from './metadata/fetch-metadata.js';
export {
  processMetadataResponse,
  type FetchMetadataResult,
  type MetadataFetched,
  type MetadataNotModified,
} from './metadata/process-metadata-response.js';
export { parseMetadata, type ParseMetadataOptions, type ParsedMetadata } from './metadata/parse-metadata.js';
export {
  checkMetadataSignature,
  enforceMetadataSignaturePolicy,
  type MetadataSignaturePolicy,
  type MetadataSignatureReport,
  type MetadataSigner,
} from './metadata/check-metadata-signature.js';
export { listDocumentCertificates, type DocumentCertificate } from './metadata/list-certificates.js';
export type {
  IssuerMetadata,
  KeySection,
  MetadataEndpoint,
  MetadataFormat,
  PublishedKey,
} from './metadata/model.js';

export {
  diagnoseThumbprints,
  type ConfiguredThumbprintFinding,
  type ConfiguredThumbprintStatus,
  type ThumbprintDiagnosis,
  type ThumbprintVerdict,
} from './trust/diagnose-thumbprints.js';

export {
  createTokenValidator,
  type TokenValidator,
  type TokenValidatorOptions,
  type UnknownKeyEvent,
  type ValidateOptions,
} from './tokens/create-token-validator.js';
export type { TokenKind, VerifiedIdentity } from './tokens/identity.js';
export {
  createMemoryReplayCache,
  type MemoryReplayCacheOptions,
  type ReplayCache,
} from './tokens/replay-cache.js';
export type {
  KeySource,
  KeyState,
  RefreshStatus,
  TrustSnapshot,
  TrustedIssuer,
  TrustedKey,
} from './tokens/trust-snapshot.js';
export { createTrustSnapshot, type TrustSnapshotInput } from './trust/create-trust-snapshot.js';
export {
  combineTrust,
  trustFromCertificates,
  trustFromMetadata,
  trustFromThumbprints,
  type IssuerTrust,
  type IssuerTrustOptions,
} from './trust/in-memory-trust.js';
export { trustedKeyFromCertificate, type IssuerSettings } from './trust/trusted-key.js';

export { openStore, type OpenStoreOptions } from './store/open-store.js';
export type { AuditQuery, KeyUpdate, RefreshApplication, Store } from './store/store.js';
export type {
  Actor,
  AuditEntry,
  ClaimMappingRecord,
  IssuerRecord,
  KeyRecord,
  NewClaimMapping,
  NewIssuer,
  NewKey,
  NewRealm,
  Protocol,
  RealmRecord,
  StoreChange,
} from './store/model.js';
export { createStoreReplayCache } from './store/store-replay-cache.js';
export {
  createRolloverEngine,
  type AddedIssuer,
  type RefreshOptions,
  type RefreshResult,
  type RolloverEngine,
  type RolloverEngineOptions,
} from './rollover/rollover-engine.js';
export type { Alert, AlertKind, AlertSeverity, AlertThresholds } from './rollover/alerts.js';

export { loadConfig } from './config/load-config.js';
export type { Config } from './config/config-schema.js';
export { createSealingKeyRing, generateSealingSecret, type SealingKeyRing } from './session/sealing-keys.js';
export { createSessionCookies, type Session, type SessionCookies } from './session/session-cookie.js';
export { createSignInStateCodec } from './session/sign-in-state.js';
