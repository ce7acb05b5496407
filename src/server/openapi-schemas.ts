/**
 * The TypeBox schemas of the admin API: what Fastify validates requests and
 * serializes responses with, what the route handlers are typed by (through
 * Fastify's TypeBox type provider), and what the OpenAPI document describes
 * (it is built from these very objects, see openapi-document.ts). Every
 * object schema refuses additional properties.
 *
 * The schemas are written in the subset shared by JSON Schema draft-07
 * (Fastify's Ajv) and 2020-12 (OpenAPI 3.1): `type` lists with `"null"` for
 * nullable values, never OpenAPI 3.0's `nullable`.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { closedObject as object, enumOf, listOf, orNull } from '../lib/schema-builders.js';
import {
  ISSUER_FIELD_SCHEMAS,
  IssuerPatchSchema,
  MAX_TEXT,
  NewIssuerSchema,
  SignaturePolicyInputSchema,
  SIGNATURE_MODES,
} from '../store/issuer-schema.js';
import { AddKeyInputSchema as AddKeyInput, KEY_SOURCES, KEY_STATES } from '../store/key-schema.js';
import {
  CLAIM_MAPPING_FIELD_SCHEMAS,
  ClaimMappingInputSchema as ClaimMappingInput,
  ClaimMappingUpdateSchema as ClaimMappingUpdate,
} from '../store/claim-mapping-schema.js';
import {
  REALM_FIELD_SCHEMAS,
  RealmInputSchema as RealmInput,
  RealmUpdateSchema as RealmUpdate,
} from '../store/realm-schema.js';

export { listOf } from '../lib/schema-builders.js';

/** A value of `schema`, or null (`anyOf`), for nested objects in answers. */
function nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}

const text = Type.String({ minLength: 1, maxLength: MAX_TEXT });
const anyString = Type.String();
const nullableString = orNull(Type.String());
const dateTime = Type.String({ format: 'date-time' });
const nullableDateTime = orNull(Type.String({ format: 'date-time' }));
const integer = Type.Integer();
const nullableInteger = orNull(Type.Integer());
const boolean = Type.Boolean();
const stringList = listOf(anyString);
const sha256Hex = Type.String({ pattern: '^[0-9A-Fa-f]{64}$' });
/** Any JSON value (audit entries' before and after). */
const anyValue = Type.Unknown();

const keyState = enumOf(KEY_STATES);
const refreshOutcome = enumOf(['success', 'not-modified', 'failure']);
const signatureMode = enumOf(SIGNATURE_MODES);

/** The body of every error answer: `{ code, message, hint, detail }`. */
export const ProblemSchema = object({
  code: Type.String({ pattern: '^CG_[A-Z0-9_]+$' }),
  message: anyString,
  hint: Type.Optional(anyString),
  detail: Type.Optional(Type.Object({}, { additionalProperties: true })),
});

export const SessionSchema = object({
  user: anyString,
  issuer: anyString,
  roles: stringList,
  csrfToken: anyString,
  csrfHeader: anyString,
  expiresAt: dateTime,
});

export const SignaturePolicySchema = SignaturePolicyInputSchema;

export const AlertSchema = object({
  kind: anyString,
  severity: enumOf(['info', 'warning', 'critical']),
  issuerId: anyString,
  issuerName: anyString,
  keyId: nullableString,
  subject: nullableString,
  threshold: Type.Unsafe<number | null>({ type: ['number', 'null'] }),
  message: anyString,
});

/** An issuer as answers carry it: its fields (declared once, in issuer-schema.ts) and what the store adds. */
export const IssuerSchema = object({
  id: anyString,
  ...ISSUER_FIELD_SCHEMAS,
  createdAt: dateTime,
  updatedAt: dateTime,
  version: Type.Integer({
    description: 'Give it back as `expectedVersion` to update without overwriting someone else’s change.',
  }),
});

export const RefreshStatusSchema = object({
  lastAttemptAt: nullableDateTime,
  lastOutcome: Type.Unsafe<'success' | 'not-modified' | 'failure' | null>({
    type: ['string', 'null'],
    enum: ['success', 'not-modified', 'failure', null],
  }),
  lastErrorCode: nullableString,
  lastErrorMessage: nullableString,
  lastSuccessAt: nullableDateTime,
  lastSuccessAgeSeconds: nullableInteger,
  consecutiveFailures: integer,
  nextAttemptAt: nullableDateTime,
});

export const NextExpirySchema = object({
  keyId: anyString,
  thumbprint: anyString,
  notAfter: dateTime,
  daysLeft: integer,
});

export const PendingKeySchema = object({
  sha1: nullableString,
  sha256: nullableString,
  kid: nullableString,
  subject: nullableString,
  notAfter: nullableDateTime,
});

export const PendingChangeSchema = object({
  issuerId: anyString,
  detectedAt: dateTime,
  url: anyString,
  sha256: anyString,
  signerSha1: nullableString,
  reason: enumOf(['unsigned-replacement', 'unknown-signer-replacement', 'downgrade']),
  decision: enumOf(['pending', 'approved', 'rejected']),
  decidedBy: nullableString,
  decidedAt: nullableDateTime,
  keys: listOf(PendingKeySchema),
  added: listOf(PendingKeySchema),
  removed: listOf(PendingKeySchema),
});

/** An approval or rejection names the document reviewed: a newer one refuses with 409. */
export const PendingDecisionSchema = object({
  sha256: Type.String({
    ...sha256Hex,
    description: 'The sha256 of the pending change reviewed; another document refuses with 409.',
  }),
});

const keyCountsSchema = object({
  announced: integer,
  active: integer,
  retiring: integer,
  retired: integer,
  revoked: integer,
  expired: integer,
});

const issuerSummaryProperties = {
  issuer: IssuerSchema,
  keyCounts: keyCountsSchema,
  usableKeys: integer,
  nextExpiry: nullable(NextExpirySchema),
  refresh: RefreshStatusSchema,
  alerts: listOf(AlertSchema),
  pendingChange: nullable(PendingChangeSchema),
};

export const IssuerSummarySchema = object(issuerSummaryProperties);

export const KeySchema = object({
  id: anyString,
  issuerId: anyString,
  state: keyState,
  usable: boolean,
  source: enumOf(KEY_SOURCES),
  sha1: nullableString,
  sha256: nullableString,
  kid: nullableString,
  subject: nullableString,
  hasCertificate: boolean,
  notBefore: nullableDateTime,
  notAfter: nullableDateTime,
  daysLeft: nullableInteger,
  addedBy: anyString,
  stateChangedAt: dateTime,
  firstSeenAt: dateTime,
  lastSeenInMetadataAt: nullableDateTime,
  lastUsedAt: nullableDateTime,
});

export const SnapshotSchema = object({
  url: anyString,
  fetchedAt: dateTime,
  sha256: anyString,
  etag: nullableString,
  signerSha1: nullableString,
});

/** A claim mapping as answers carry it: its fields (declared once, in claim-mapping-schema.ts), its issuer's name, and what the store adds. */
export const ClaimMappingSchema = object({
  id: anyString,
  issuerId: CLAIM_MAPPING_FIELD_SCHEMAS.issuerId,
  issuerName: anyString,
  label: CLAIM_MAPPING_FIELD_SCHEMAS.label,
  nameClaim: CLAIM_MAPPING_FIELD_SCHEMAS.nameClaim,
  groupClaim: CLAIM_MAPPING_FIELD_SCHEMAS.groupClaim,
  createdAt: dateTime,
  updatedAt: dateTime,
});

export const TokenClaimTypesSchema = object({
  claimTypes: stringList,
  since: dateTime,
});

export const IssuerDetailSchema = object({
  ...issuerSummaryProperties,
  keys: listOf(KeySchema),
  snapshot: nullable(SnapshotSchema),
  mappings: listOf(ClaimMappingSchema),
  lastTokenClaims: nullable(TokenClaimTypesSchema),
});

const issuerName = Type.String({ minLength: 1, maxLength: 200 });

export const IssuerInputSchema = NewIssuerSchema;

export const IssuerUpdateSchema = object(
  {
    ...IssuerPatchSchema.properties,
    expectedVersion: Type.Optional(
      Type.Integer({ minimum: 1, description: 'The version read; a newer one refuses with 409.' }),
    ),
  },
  { minProperties: 1 },
);

export const RefreshOutcomeSchema = object({
  issuerId: anyString,
  outcome: enumOf(['success', 'not-modified', 'failure', 'skipped', 'deferred']),
  code: nullableString,
  alerts: listOf(AlertSchema),
  issuer: IssuerDetailSchema,
});

export const RefreshAllSchema = object({
  issuers: integer,
  seconds: Type.Number(),
  byOutcome: object({
    success: integer,
    'not-modified': integer,
    failure: integer,
    skipped: integer,
    deferred: integer,
  }),
  failures: listOf(object({ issuer: anyString, code: nullableString })),
});

const importRequestProperties = {
  metadataUrl: text,
  issuer: Type.Optional(text),
  name: Type.Optional(issuerName),
  issuerUri: Type.Optional(text),
};

export const ImportRequestSchema = object(importRequestProperties);

export const ImportApplyRequestSchema = object({
  ...importRequestProperties,
  expectedSha256: sha256Hex,
  expectedKeySetSha256: Type.Optional(sha256Hex),
  expectedVersion: Type.Optional(Type.Integer({ minimum: 1 })),
});

const fieldValue = Type.Unsafe<string | readonly string[] | null>({
  type: ['string', 'array', 'null'],
  items: anyString,
});

export const ImportFieldDiffSchema = object({
  field: enumOf(['issuerUri', 'loginUrl', 'protocols', 'metadataUrl']),
  current: fieldValue,
  proposed: fieldValue,
  changed: boolean,
});

export const RealmUnlinkSchema = object({
  realmId: anyString,
  realmUri: anyString,
  homeRealmCleared: boolean,
  allowedIssuerRemoved: boolean,
  remainingAllowedIssuers: stringList,
});

export const IssuerRemovalSchema = object({
  issuerId: anyString,
  issuerName: anyString,
  keys: integer,
  mappings: integer,
  realms: listOf(RealmUnlinkSchema),
});

export const ImportKeySchema = object({
  sha1: nullableString,
  sha256: nullableString,
  kid: nullableString,
  subject: nullableString,
  notBefore: nullableDateTime,
  notAfter: nullableDateTime,
  daysLeft: nullableInteger,
  sections: stringList,
  keyId: nullableString,
  state: Type.Unsafe<(typeof KEY_STATES)[number] | null>({
    type: ['string', 'null'],
    enum: [...KEY_STATES, null],
  }),
  stateAfter: keyState,
  usableAfter: boolean,
});

export const MetadataEndpointSchema = object({
  kind: anyString,
  url: anyString,
  binding: Type.Optional(anyString),
  section: Type.Optional(anyString),
});

export const ImportSignatureSchema = object({
  status: enumOf(['unsigned', 'valid', 'invalid', 'absent']),
  signerSha1: nullableString,
  signerSubject: nullableString,
  signatureAlgorithm: nullableString,
  reason: nullableString,
  message: nullableString,
  policy: signatureMode,
});

export const ImportPreviewSchema = object({
  metadataUrl: anyString,
  sha256: anyString,
  keySetUrl: nullableString,
  keySetSha256: nullableString,
  version: nullableInteger,
  format: enumOf(['saml-metadata', 'wsfed-metadata', 'oidc-discovery', 'jwks']),
  fetchedAt: dateTime,
  mode: enumOf(['create', 'update']),
  issuerId: nullableString,
  name: anyString,
  fields: listOf(ImportFieldDiffSchema),
  keys: object({
    add: listOf(ImportKeySchema),
    unchanged: listOf(ImportKeySchema),
    noLongerPublished: listOf(ImportKeySchema),
  }),
  endpoints: listOf(MetadataEndpointSchema),
  signature: ImportSignatureSchema,
  warnings: stringList,
});

export const ImportResultSchema = object({
  created: boolean,
  warnings: stringList,
  refresh: RefreshOutcomeSchema,
});

export const ThumbprintCharacterSchema = object({
  codePoint: Type.String({ pattern: '^U\\+[0-9A-F]{4,6}$' }),
  position: integer,
  name: anyString,
});

export const ThumbprintInspectionSchema = object({
  thumbprint: anyString,
  colons: anyString,
  algorithm: enumOf(['sha1', 'sha256']),
  removed: listOf(ThumbprintCharacterSchema),
  noteworthy: listOf(ThumbprintCharacterSchema),
});

/** A key added by hand (declared once, in key-schema.ts). */
export const AddKeyInputSchema = AddKeyInput;

export const AddedKeySchema = object({
  key: KeySchema,
  thumbprintInput: nullable(ThumbprintInspectionSchema),
});

export const ReasonSchema = object({ reason: Type.String({ minLength: 1, maxLength: 1000 }) });

/** A realm as answers carry it: its fields (declared once, in realm-schema.ts), its allowed issuers by name, and what the store adds. */
export const RealmSchema = object({
  id: anyString,
  ...REALM_FIELD_SCHEMAS,
  allowedIssuerNames: stringList,
  createdAt: dateTime,
  updatedAt: dateTime,
});

/** A realm's and a claim mapping's input (declared once, in realm-schema.ts and claim-mapping-schema.ts). */
export const RealmInputSchema = RealmInput;
export const RealmUpdateSchema = RealmUpdate;
export const ClaimMappingInputSchema = ClaimMappingInput;
export const ClaimMappingUpdateSchema = ClaimMappingUpdate;

export const AuditEntrySchema = object({
  id: integer,
  at: dateTime,
  actor: anyString,
  action: anyString,
  issuerId: nullableString,
  issuerName: nullableString,
  subject: nullableString,
  before: anyValue,
  after: anyValue,
  refresh: nullable(
    object({
      url: anyString,
      httpStatus: nullableInteger,
      etag: nullableString,
      sha256: nullableString,
      outcome: refreshOutcome,
      code: nullableString,
    }),
  ),
});

export const AuditPageSchema = object({
  entries: listOf(AuditEntrySchema),
  nextAfterId: nullableInteger,
});

const shortText = Type.String({ minLength: 1, maxLength: 200 });

export const AuditQuerySchema = object({
  issuer: Type.Optional(text),
  action: Type.Optional(shortText),
  actor: Type.Optional(shortText),
  since: Type.Optional(dateTime),
  until: Type.Optional(dateTime),
  text: Type.Optional(shortText),
  afterId: Type.Optional(Type.Integer({ minimum: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
});

export const MappingQuerySchema = object({ issuer: Type.Optional(text) });

export const IdParamsSchema = object({ id: text });

export const CertificateSchema = object({
  subject: anyString,
  issuer: anyString,
  serialNumber: anyString,
  notBefore: dateTime,
  notAfter: dateTime,
  daysLeft: integer,
  keyType: anyString,
  keySize: nullableInteger,
  sha1: anyString,
  sha256: anyString,
  sections: stringList,
});

export const ThumbprintRequestSchema = object(
  {
    text: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1_048_576,
        description: 'A certificate (PEM or base64) or a metadata document.',
      }),
    ),
    metadataUrl: Type.Optional(text),
    thumbprint: Type.Optional(
      Type.String({ minLength: 1, maxLength: 1024, description: 'A pasted thumbprint to normalise.' }),
    ),
  },
  { minProperties: 1, maxProperties: 1 },
);

export const ThumbprintResultSchema = object({
  source: anyString,
  documentSha256: nullableString,
  certificates: listOf(CertificateSchema),
  thumbprintInput: nullable(ThumbprintInspectionSchema),
});

const countsByName = Type.Record(Type.String(), integer);

export const EngineMetricsSchema = object({
  refreshes: countsByName,
  unknownKey: object({
    refreshes: integer,
    joined: integer,
    timedOut: integer,
    unmapped: integer,
    overflow: integer,
  }),
  reloads: integer,
  issuers: integer,
  usableKeys: integer,
  alerts: object({
    fired: integer,
    byKind: countsByName,
    bySeverity: countsByName,
    webhookDelivered: integer,
    webhookFailed: integer,
    webhookRetries: integer,
  }),
});

export const HealthSchema = object({
  checkedAt: dateTime,
  store: object({
    backend: enumOf(['sqlite', 'postgres']),
    reachable: boolean,
    code: nullableString,
  }),
  engine: EngineMetricsSchema,
  issuers: listOf(
    object({
      id: anyString,
      name: anyString,
      usableKeys: integer,
      refresh: RefreshStatusSchema,
      alerts: listOf(AlertSchema),
    }),
  ),
});

/** The OpenAPI document itself (any JSON object). */
export const OpenApiDocumentSchema = Type.Record(Type.String(), Type.Unknown());

/** The answer of a route that answers 204 No Content: no body. */
// No JSON schema describes "no body": this one admits anything, and is never
// used, since Fastify sends no body with 204; the document shows it as no content.
export const NoContentSchema = Type.Unsafe<undefined>({ description: 'Done; no content.' });

/**
 * The schemas named in the OpenAPI document's `components.schemas`: wherever
 * one of these objects appears in a route's schema, the document refers to
 * it by `$ref` instead of repeating it.
 */
export const NAMED_SCHEMAS: Readonly<Record<string, TSchema>> = {
  Problem: ProblemSchema,
  Session: SessionSchema,
  SignaturePolicy: SignaturePolicySchema,
  Alert: AlertSchema,
  Issuer: IssuerSchema,
  RefreshStatus: RefreshStatusSchema,
  NextExpiry: NextExpirySchema,
  IssuerSummary: IssuerSummarySchema,
  PendingKey: PendingKeySchema,
  PendingChange: PendingChangeSchema,
  PendingDecision: PendingDecisionSchema,
  Key: KeySchema,
  Snapshot: SnapshotSchema,
  ClaimMapping: ClaimMappingSchema,
  TokenClaimTypes: TokenClaimTypesSchema,
  IssuerDetail: IssuerDetailSchema,
  IssuerInput: IssuerInputSchema,
  IssuerUpdate: IssuerUpdateSchema,
  RefreshOutcome: RefreshOutcomeSchema,
  RefreshAll: RefreshAllSchema,
  ImportRequest: ImportRequestSchema,
  ImportApplyRequest: ImportApplyRequestSchema,
  ImportFieldDiff: ImportFieldDiffSchema,
  ImportKey: ImportKeySchema,
  RealmUnlink: RealmUnlinkSchema,
  IssuerRemoval: IssuerRemovalSchema,
  MetadataEndpoint: MetadataEndpointSchema,
  ImportSignature: ImportSignatureSchema,
  ImportPreview: ImportPreviewSchema,
  ImportResult: ImportResultSchema,
  ThumbprintCharacter: ThumbprintCharacterSchema,
  ThumbprintInspection: ThumbprintInspectionSchema,
  AddKeyInput: AddKeyInputSchema,
  AddedKey: AddedKeySchema,
  Reason: ReasonSchema,
  Realm: RealmSchema,
  RealmInput: RealmInputSchema,
  RealmUpdate: RealmUpdateSchema,
  ClaimMappingInput: ClaimMappingInputSchema,
  ClaimMappingUpdate: ClaimMappingUpdateSchema,
  AuditEntry: AuditEntrySchema,
  AuditPage: AuditPageSchema,
  Certificate: CertificateSchema,
  ThumbprintRequest: ThumbprintRequestSchema,
  ThumbprintResult: ThumbprintResultSchema,
  EngineMetrics: EngineMetricsSchema,
  Health: HealthSchema,
};
