import {
  optionalName,
  optionalText,
  requireHttpUrl,
  requireLabel,
  requireName,
  requireShape,
  requireText,
  requireTextList,
} from './input-values.js';
import {
  ClaimMappingPatchSchema,
  NewClaimMappingSchema,
  type ClaimMappingFields,
  type ClaimMappingPatch,
  type NewClaimMapping,
} from './claim-mapping-schema.js';
import {
  NewRealmSchema,
  RealmPatchSchema,
  type NewRealm,
  type RealmFields,
  type RealmPatch,
} from './realm-schema.js';

/*
 * The shape of a realm and of a claim mapping (types, lengths, required and
 * unknown fields) is checked against its schema (realm-schema.ts,
 * claim-mapping-schema.ts); the finer rules below are code: text trimmed
 * and without control characters, an http(s) reply URL, names and labels
 * without invisible characters, a label without a colon.
 */

export type { ClaimMappingFields } from './claim-mapping-schema.js';
export type { RealmFields } from './realm-schema.js';

/**
 * Checks a new realm: a non-empty realm URI, an http(s) reply URL.
 *
 * @throws ClaimsgateError `CG_STORE_INVALID` naming the field.
 */
export function normalizeNewRealm(input: NewRealm): RealmFields {
  requireShape(NewRealmSchema, input, 'realm');
  return {
    realmUri: requireName('realmUri', input.realmUri),
    replyUrl: requireHttpUrl('replyUrl', input.replyUrl),
    homeRealm: optionalName('homeRealm', input.homeRealm),
    allowedIssuerIds: requireTextList('allowedIssuerIds', input.allowedIssuerIds ?? []),
  };
}

/** Checks a realm patch; only the fields present are returned. @throws ClaimsgateError `CG_STORE_INVALID`. */
export function normalizeRealmPatch(patch: RealmPatch): Partial<RealmFields> {
  requireShape(RealmPatchSchema, patch, 'patch');
  const out: { -readonly [K in keyof RealmFields]?: RealmFields[K] } = {};
  if (patch.realmUri !== undefined) out.realmUri = requireName('realmUri', patch.realmUri);
  if (patch.replyUrl !== undefined) out.replyUrl = requireHttpUrl('replyUrl', patch.replyUrl);
  if (patch.homeRealm !== undefined) out.homeRealm = optionalName('homeRealm', patch.homeRealm);
  if (patch.allowedIssuerIds !== undefined)
    out.allowedIssuerIds = requireTextList('allowedIssuerIds', patch.allowedIssuerIds);
  return out;
}

/** Checks a new claim mapping. @throws ClaimsgateError `CG_STORE_INVALID` naming the field. */
export function normalizeNewClaimMapping(input: NewClaimMapping): ClaimMappingFields {
  requireShape(NewClaimMappingSchema, input, 'claimMapping');
  return {
    issuerId: requireText('issuerId', input.issuerId),
    label: requireLabel('label', input.label),
    nameClaim: requireText('nameClaim', input.nameClaim),
    groupClaim: optionalText('groupClaim', input.groupClaim),
  };
}

/** Checks a claim mapping patch; only the fields present are returned. @throws ClaimsgateError `CG_STORE_INVALID`. */
export function normalizeClaimMappingPatch(patch: ClaimMappingPatch): Partial<ClaimMappingFields> {
  requireShape(ClaimMappingPatchSchema, patch, 'patch');
  const out: { -readonly [K in keyof ClaimMappingFields]?: ClaimMappingFields[K] } = {};
  if (patch.issuerId !== undefined) out.issuerId = requireText('issuerId', patch.issuerId);
  if (patch.label !== undefined) out.label = requireLabel('label', patch.label);
  if (patch.nameClaim !== undefined) out.nameClaim = requireText('nameClaim', patch.nameClaim);
  if (patch.groupClaim !== undefined) out.groupClaim = optionalText('groupClaim', patch.groupClaim);
  return out;
}
