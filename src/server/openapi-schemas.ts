/**
 * The JSON schemas of the admin API: what Fastify validates requests with and
 * serializes responses with, and what the OpenAPI document describes (it is
 * built from these very objects, see openapi-document.ts). Every object
 * schema refuses additional properties.
 *
 * The schemas are written in the subset shared by JSON Schema draft-07
 * (Fastify's Ajv) and 2020-12 (OpenAPI 3.1): `type` lists with `"null"` for
 * nullable values, never OpenAPI 3.0's `nullable`.
 */

/** A JSON schema, as a plain object. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** Longest text accepted in a field (the store's own cap). */
const MAX_TEXT = 2048;

const text: JsonSchema = { type: 'string', minLength: 1, maxLength: MAX_TEXT };
const anyString: JsonSchema = { type: 'string' };
const nullableString: JsonSchema = { type: ['string', 'null'] };
const nullableText: JsonSchema = { type: ['string', 'null'], maxLength: MAX_TEXT };
const dateTime: JsonSchema = { type: 'string', format: 'date-time' };
const nullableDateTime: JsonSchema = { type: ['string', 'null'], format: 'date-time' };
const integer: JsonSchema = { type: 'integer' };
const nullableInteger: JsonSchema = { type: ['integer', 'null'] };
const boolean: JsonSchema = { type: 'boolean' };
const stringList: JsonSchema = { type: 'array', items: anyString };
const sha256Hex: JsonSchema = { type: 'string', pattern: '^[0-9A-Fa-f]{64}$' };
/** Any JSON value (audit entries' before and after). */
const anyValue: JsonSchema = {};

/** An object schema: every property listed required unless `optional` names it; no other property allowed. */
function object(
  properties: Readonly<Record<string, JsonSchema>>,
  optional: readonly string[] = [],
  extra: JsonSchema = {},
): JsonSchema {
  const required = Object.keys(properties).filter((name) => !optional.includes(name));
  return {
    type: 'object',
    additionalProperties: false,
    ...(required.length === 0 ? {} : { required }),
    properties,
    ...extra,
  };
}

function arrayOf(items: JsonSchema): JsonSchema {
  return { type: 'array', items };
}

function nullable(schema: JsonSchema): JsonSchema {
  return { anyOf: [schema, { type: 'null' }] };
}

function enumOf(values: readonly string[]): JsonSchema {
  return { type: 'string', enum: [...values] };
}

const KEY_STATES = ['announced', 'active', 'retiring', 'retired', 'revoked', 'expired'];
const keyState = enumOf(KEY_STATES);
const protocol = enumOf(['wsfed', 'saml2', 'oidc']);
const refreshOutcome = enumOf(['success', 'not-modified', 'failure']);
const discontinuityPolicy = enumOf(['auto', 'hold', 'accept-with-alert']);

/** The body of every error answer: `{ code, message, hint, detail }`. */
export const ProblemSchema = object(
  {
    code: { type: 'string', pattern: '^CG_[A-Z0-9_]+$' },
    message: anyString,
    hint: anyString,
    detail: { type: 'object', additionalProperties: true },
  },
  ['detail', 'hint'],
);

export const SessionSchema = object({
  user: anyString,
  issuer: anyString,
  roles: stringList,
  csrfToken: anyString,
  csrfHeader: anyString,
  expiresAt: dateTime,
});

export const SignaturePolicySchema = object(
  {
    mode: enumOf(['off', 'self-consistent', 'pinned']),
    pinnedSigners: { type: 'array', items: text, maxItems: 20 },
  },
  ['pinnedSigners'],
);

export const AlertSchema = object({
  kind: anyString,
  severity: enumOf(['info', 'warning', 'critical']),
  issuerId: anyString,
  issuerName: anyString,
  keyId: nullableString,
  subject: nullableString,
  threshold: { type: ['number', 'null'] },
  message: anyString,
});

export const IssuerSchema = object({
  id: anyString,
  name: anyString,
  description: anyString,
  issuerUri: anyString,
  protocols: arrayOf(protocol),
  metadataUrl: nullableString,
  loginUrl: nullableString,
  useForLogin: boolean,
  label: anyString,
  refreshIntervalSeconds: integer,
  signaturePolicy: SignaturePolicySchema,
  allowSha1: boolean,
  allowedTenants: stringList,
  discontinuityPolicy,
  requireSignedAssertion: boolean,
  createdAt: dateTime,
  updatedAt: dateTime,
  version: integer,
});

export const RefreshStatusSchema = object({
  lastAttemptAt: nullableDateTime,
  lastOutcome: { type: ['string', 'null'], enum: ['success', 'not-modified', 'failure', null] },
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
  keys: arrayOf(PendingKeySchema),
  added: arrayOf(PendingKeySchema),
  removed: arrayOf(PendingKeySchema),
});

/** An approval or rejection names the document reviewed: a newer one refuses with 409. */
export const PendingDecisionSchema = object({
  sha256: {
    ...sha256Hex,
    description: 'The sha256 of the pending change reviewed; another document refuses with 409.',
  },
});

const keyCountsSchema = object(Object.fromEntries(KEY_STATES.map((state) => [state, integer])));

const issuerSummaryProperties = {
  issuer: IssuerSchema,
  keyCounts: keyCountsSchema,
  usableKeys: integer,
  nextExpiry: nullable(NextExpirySchema),
  refresh: RefreshStatusSchema,
  alerts: arrayOf(AlertSchema),
  pendingChange: nullable(PendingChangeSchema),
};

export const IssuerSummarySchema = object(issuerSummaryProperties);

export const KeySchema = object({
  id: anyString,
  issuerId: anyString,
  state: keyState,
  usable: boolean,
  source: enumOf(['metadata', 'manual']),
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

export const ClaimMappingSchema = object({
  id: anyString,
  issuerId: anyString,
  issuerName: anyString,
  label: anyString,
  nameClaim: anyString,
  groupClaim: nullableString,
  createdAt: dateTime,
  updatedAt: dateTime,
});

export const TokenClaimTypesSchema = object({
  claimTypes: stringList,
  since: dateTime,
});

export const IssuerDetailSchema = object({
  ...issuerSummaryProperties,
  keys: arrayOf(KeySchema),
  snapshot: nullable(SnapshotSchema),
  mappings: arrayOf(ClaimMappingSchema),
  lastTokenClaims: nullable(TokenClaimTypesSchema),
});

const issuerFieldProperties = {
  name: { type: 'string', minLength: 1, maxLength: 200 },
  issuerUri: text,
  description: { type: 'string', maxLength: MAX_TEXT },
  protocols: { type: 'array', items: protocol, minItems: 1, maxItems: 3 },
  metadataUrl: nullableText,
  loginUrl: nullableText,
  useForLogin: boolean,
  label: { type: 'string', maxLength: 200 },
  refreshIntervalSeconds: { type: 'integer', minimum: 1 },
  signaturePolicy: SignaturePolicySchema,
  allowSha1: boolean,
  allowedTenants: { type: 'array', items: text, maxItems: 1000 },
  discontinuityPolicy,
  requireSignedAssertion: boolean,
};
const optionalIssuerFields = Object.keys(issuerFieldProperties).filter(
  (name) => name !== 'name' && name !== 'issuerUri',
);

export const IssuerInputSchema = object(issuerFieldProperties, optionalIssuerFields);

export const IssuerUpdateSchema = object(
  {
    ...issuerFieldProperties,
    expectedVersion: {
      type: 'integer',
      minimum: 1,
      description: 'The version read; a newer one refuses with 409.',
    },
  },
  [...Object.keys(issuerFieldProperties), 'expectedVersion'],
  { minProperties: 1 },
);

export const RefreshOutcomeSchema = object({
  issuerId: anyString,
  outcome: enumOf(['success', 'not-modified', 'failure', 'skipped', 'deferred']),
  code: nullableString,
  alerts: arrayOf(AlertSchema),
  issuer: IssuerDetailSchema,
});

export const ImportRequestSchema = object(
  {
    metadataUrl: text,
    issuer: text,
    name: { type: 'string', minLength: 1, maxLength: 200 },
    issuerUri: text,
  },
  ['issuer', 'name', 'issuerUri'],
);

export const ImportApplyRequestSchema = object(
  {
    metadataUrl: text,
    issuer: text,
    name: { type: 'string', minLength: 1, maxLength: 200 },
    issuerUri: text,
    expectedSha256: sha256Hex,
    expectedKeySetSha256: sha256Hex,
    expectedVersion: { type: 'integer', minimum: 1 },
  },
  ['issuer', 'name', 'issuerUri', 'expectedKeySetSha256', 'expectedVersion'],
);

const fieldValue: JsonSchema = { type: ['string', 'array', 'null'], items: anyString };

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
  realms: arrayOf(RealmUnlinkSchema),
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
  state: { type: ['string', 'null'], enum: [...KEY_STATES, null] },
  stateAfter: enumOf(KEY_STATES),
  usableAfter: boolean,
});

export const MetadataEndpointSchema = object(
  {
    kind: anyString,
    url: anyString,
    binding: anyString,
    section: anyString,
  },
  ['binding', 'section'],
);

export const ImportSignatureSchema = object({
  status: enumOf(['unsigned', 'valid', 'invalid', 'absent']),
  signerSha1: nullableString,
  signerSubject: nullableString,
  signatureAlgorithm: nullableString,
  reason: nullableString,
  message: nullableString,
  policy: enumOf(['off', 'self-consistent', 'pinned']),
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
  fields: arrayOf(ImportFieldDiffSchema),
  keys: object({
    add: arrayOf(ImportKeySchema),
    unchanged: arrayOf(ImportKeySchema),
    noLongerPublished: arrayOf(ImportKeySchema),
  }),
  endpoints: arrayOf(MetadataEndpointSchema),
  signature: ImportSignatureSchema,
  warnings: stringList,
});

export const ImportResultSchema = object({
  created: boolean,
  warnings: stringList,
  refresh: RefreshOutcomeSchema,
});

export const ThumbprintCharacterSchema = object({
  codePoint: { type: 'string', pattern: '^U\\+[0-9A-F]{4,6}$' },
  position: integer,
  name: anyString,
});

export const ThumbprintInspectionSchema = object({
  thumbprint: anyString,
  colons: anyString,
  algorithm: enumOf(['sha1', 'sha256']),
  removed: arrayOf(ThumbprintCharacterSchema),
  noteworthy: arrayOf(ThumbprintCharacterSchema),
});

export const AddKeyInputSchema = object(
  {
    certificate: { type: 'string', minLength: 1, maxLength: 65_536 },
    thumbprint: { type: 'string', minLength: 1, maxLength: 1024 },
    state: enumOf(['active', 'announced']),
  },
  ['certificate', 'thumbprint', 'state'],
  { minProperties: 1 },
);

export const AddedKeySchema = object({
  key: KeySchema,
  thumbprintInput: nullable(ThumbprintInspectionSchema),
});

export const ReasonSchema = object({ reason: { type: 'string', minLength: 1, maxLength: 1000 } });

export const RealmSchema = object({
  id: anyString,
  realmUri: anyString,
  replyUrl: anyString,
  homeRealm: nullableString,
  allowedIssuerIds: stringList,
  allowedIssuerNames: stringList,
  createdAt: dateTime,
  updatedAt: dateTime,
});

const realmFieldProperties = {
  realmUri: text,
  replyUrl: text,
  homeRealm: nullableText,
  allowedIssuers: { type: 'array', items: text, maxItems: 1000 },
};

export const RealmInputSchema = object(realmFieldProperties, ['homeRealm', 'allowedIssuers']);
export const RealmUpdateSchema = object(realmFieldProperties, Object.keys(realmFieldProperties), {
  minProperties: 1,
});

export const ClaimMappingInputSchema = object(
  {
    issuer: text,
    label: { type: 'string', minLength: 1, maxLength: 200 },
    nameClaim: text,
    groupClaim: nullableText,
  },
  ['groupClaim'],
);
export const ClaimMappingUpdateSchema = object(
  { label: { type: 'string', minLength: 1, maxLength: 200 }, nameClaim: text, groupClaim: nullableText },
  ['label', 'nameClaim', 'groupClaim'],
  { minProperties: 1 },
);

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
  entries: arrayOf(AuditEntrySchema),
  nextAfterId: nullableInteger,
});

export const AuditQuerySchema = object(
  {
    issuer: text,
    action: { type: 'string', minLength: 1, maxLength: 200 },
    actor: { type: 'string', minLength: 1, maxLength: 200 },
    since: dateTime,
    until: dateTime,
    text: { type: 'string', minLength: 1, maxLength: 200 },
    afterId: { type: 'integer', minimum: 0 },
    limit: { type: 'integer', minimum: 1, maximum: 1000 },
  },
  ['issuer', 'action', 'actor', 'since', 'until', 'text', 'afterId', 'limit'],
);

export const MappingQuerySchema = object({ issuer: text }, ['issuer']);

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
    text: {
      type: 'string',
      minLength: 1,
      maxLength: 1_048_576,
      description: 'A certificate (PEM or base64) or a metadata document.',
    },
    metadataUrl: text,
    thumbprint: {
      type: 'string',
      minLength: 1,
      maxLength: 1024,
      description: 'A pasted thumbprint to normalise.',
    },
  },
  ['text', 'metadataUrl', 'thumbprint'],
  { minProperties: 1, maxProperties: 1 },
);

export const ThumbprintResultSchema = object({
  source: anyString,
  documentSha256: nullableString,
  certificates: arrayOf(CertificateSchema),
  thumbprintInput: nullable(ThumbprintInspectionSchema),
});

const countsByName: JsonSchema = { type: 'object', additionalProperties: integer };

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
  issuers: arrayOf(
    object({
      id: anyString,
      name: anyString,
      usableKeys: integer,
      refresh: RefreshStatusSchema,
      alerts: arrayOf(AlertSchema),
    }),
  ),
});

/** The OpenAPI document itself (any JSON object). */
export const OpenApiDocumentSchema: JsonSchema = { type: 'object', additionalProperties: true };

/**
 * The schemas named in the OpenAPI document's `components.schemas`: wherever
 * one of these objects appears in a route's schema, the document refers to
 * it by `$ref` instead of repeating it.
 */
export const NAMED_SCHEMAS: Readonly<Record<string, JsonSchema>> = {
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
