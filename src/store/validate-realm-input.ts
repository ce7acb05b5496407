import {
  invalid,
  optionalName,
  optionalText,
  requireHttpUrl,
  requireLabel,
  requireName,
  requireText,
  requireTextList,
} from './input-values.js';
import type { NewClaimMapping, NewRealm } from './model.js';

/** Every field of a realm its owner chooses. */
export type RealmFields = {
  readonly realmUri: string;
  readonly replyUrl: string;
  readonly homeRealm: string | null;
  readonly allowedIssuerIds: readonly string[];
};

/** Every field of a claim mapping its owner chooses. */
export type ClaimMappingFields = {
  readonly issuerId: string;
  readonly label: string;
  readonly nameClaim: string;
  readonly groupClaim: string | null;
};

/**
 * Checks a new realm: a non-empty realm URI, an http(s) reply URL.
 *
 * @throws ClaimsgateError `CG_STORE_INVALID` naming the field.
 */
export function normalizeNewRealm(input: NewRealm): RealmFields {
  if (typeof input !== 'object' || input === null) throw invalid('realm', 'an object', input);
  return {
    realmUri: requireName('realmUri', input.realmUri),
    replyUrl: requireHttpUrl('replyUrl', input.replyUrl),
    homeRealm: optionalName('homeRealm', input.homeRealm),
    allowedIssuerIds: requireTextList('allowedIssuerIds', input.allowedIssuerIds ?? []),
  };
}

/** Checks a realm patch; only the fields present are returned. @throws ClaimsgateError `CG_STORE_INVALID`. */
export function normalizeRealmPatch(patch: Partial<NewRealm>): Partial<RealmFields> {
  if (typeof patch !== 'object' || patch === null) throw invalid('patch', 'an object', patch);
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
  if (typeof input !== 'object' || input === null) throw invalid('claimMapping', 'an object', input);
  return {
    issuerId: requireText('issuerId', input.issuerId),
    label: requireLabel('label', input.label),
    nameClaim: requireText('nameClaim', input.nameClaim),
    groupClaim: optionalText('groupClaim', input.groupClaim),
  };
}

/** Checks a claim mapping patch; only the fields present are returned. @throws ClaimsgateError `CG_STORE_INVALID`. */
export function normalizeClaimMappingPatch(patch: Partial<NewClaimMapping>): Partial<ClaimMappingFields> {
  if (typeof patch !== 'object' || patch === null) throw invalid('patch', 'an object', patch);
  const out: { -readonly [K in keyof ClaimMappingFields]?: ClaimMappingFields[K] } = {};
  if (patch.issuerId !== undefined) out.issuerId = requireText('issuerId', patch.issuerId);
  if (patch.label !== undefined) out.label = requireLabel('label', patch.label);
  if (patch.nameClaim !== undefined) out.nameClaim = requireText('nameClaim', patch.nameClaim);
  if (patch.groupClaim !== undefined) out.groupClaim = optionalText('groupClaim', patch.groupClaim);
  return out;
}
