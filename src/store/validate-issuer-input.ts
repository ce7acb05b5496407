import type { MetadataSignaturePolicy } from '../metadata/check-metadata-signature.js';
import { normalizeDomains } from './email-domains.js';
import {
  invalid,
  normalizeThumbprintField,
  optionalHttpUrl,
  optionalText,
  requireLabel,
  requireName,
  requireShape,
  requireText,
  requireTextList,
} from './input-values.js';
import {
  IssuerPatchSchema,
  NewIssuerSchema,
  type IssuerFields,
  type IssuerPatch,
  type NewIssuer,
} from './issuer-schema.js';
import type { DiscontinuityPolicy, Protocol } from './model.js';

export { DISCONTINUITY_POLICIES, PROTOCOLS, type IssuerFields } from './issuer-schema.js';

/** Issuer defaults (see {@link normalizeNewIssuer}). */
export const ISSUER_DEFAULTS = {
  refreshIntervalSeconds: 3600,
  signaturePolicy: { mode: 'self-consistent' } as MetadataSignaturePolicy,
  protocols: ['wsfed'] as readonly Protocol[],
  useForLogin: true,
  allowSha1: false,
  discontinuityPolicy: 'auto' as DiscontinuityPolicy,
  requireSignedAssertion: true,
} as const;

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The protocols without repeats (their values and count are the schema's). */
function normalizeProtocols(value: readonly Protocol[]): Protocol[] {
  return [...new Set(value)];
}

/** Checks a signature policy as given and returns it in its checked form. @throws ClaimsgateError `CG_STORE_INVALID` naming the field. */
export function normalizeSignaturePolicy(value: unknown): MetadataSignaturePolicy {
  const expected = "{ mode: 'off' | 'self-consistent' } or { mode: 'pinned', pinnedSigners: [thumbprints] }";
  if (typeof value !== 'object' || value === null) throw invalid('signaturePolicy', expected, value);
  const policy = value as { mode?: unknown; pinnedSigners?: unknown };
  switch (policy.mode) {
    case 'off':
      return { mode: 'off' };
    case 'self-consistent':
      return { mode: 'self-consistent' };
    case 'pinned': {
      // SECURITY: a pinned policy without signers would pin nothing; refuse it rather than accept any signer.
      if (!Array.isArray(policy.pinnedSigners) || policy.pinnedSigners.length === 0)
        throw invalid(
          'signaturePolicy.pinnedSigners',
          'a non-empty array of thumbprints',
          policy.pinnedSigners,
        );
      const signers = policy.pinnedSigners.map((signer, index) =>
        normalizeThumbprintField(`signaturePolicy.pinnedSigners[${index}]`, signer),
      );
      return { mode: 'pinned', pinnedSigners: [...new Set(signers)] };
    }
    default:
      throw invalid('signaturePolicy.mode', "'off', 'self-consistent' or 'pinned'", policy.mode);
  }
}

function normalizeName(value: unknown): string {
  const name = requireName('name', value);
  // SECURITY: getIssuer() accepts an ID or a name; a name shaped like an ID could shadow another issuer.
  if (UUID_SHAPE.test(name))
    throw invalid('name', 'a name that is not shaped like a record ID (UUID)', value);
  return name;
}

/**
 * Checks a new issuer and fills in its defaults: description '', protocols
 * ['wsfed'], no metadata or login URL, useForLogin true, label = name,
 * refreshIntervalSeconds 3600, signaturePolicy self-consistent, allowSha1
 * false, no allowed tenants, discontinuityPolicy auto, requireSignedAssertion true,
 * no domains (domains in their stored form: see email-domains.ts).
 *
 * @throws ClaimsgateError `CG_STORE_INVALID` naming the field.
 */
export function normalizeNewIssuer(input: NewIssuer): IssuerFields {
  requireShape(NewIssuerSchema, input, 'issuer');
  const name = normalizeName(input.name);
  return {
    name,
    description:
      input.description === undefined ? '' : (optionalText('description', input.description) ?? ''),
    issuerUri: requireText('issuerUri', input.issuerUri),
    protocols: normalizeProtocols(input.protocols ?? ISSUER_DEFAULTS.protocols),
    metadataUrl: optionalHttpUrl('metadataUrl', input.metadataUrl),
    loginUrl: optionalHttpUrl('loginUrl', input.loginUrl),
    useForLogin: input.useForLogin ?? ISSUER_DEFAULTS.useForLogin,
    label: requireLabel('label', input.label ?? name),
    refreshIntervalSeconds: input.refreshIntervalSeconds ?? ISSUER_DEFAULTS.refreshIntervalSeconds,
    signaturePolicy: normalizeSignaturePolicy(input.signaturePolicy ?? ISSUER_DEFAULTS.signaturePolicy),
    allowSha1: input.allowSha1 ?? ISSUER_DEFAULTS.allowSha1,
    allowedTenants: requireTextList('allowedTenants', input.allowedTenants ?? []),
    discontinuityPolicy: input.discontinuityPolicy ?? ISSUER_DEFAULTS.discontinuityPolicy,
    requireSignedAssertion: input.requireSignedAssertion ?? ISSUER_DEFAULTS.requireSignedAssertion,
    domains: normalizeDomains('domains', input.domains ?? []),
  };
}

/**
 * Checks an issuer patch. Only the fields present are checked and returned;
 * `undefined` means "leave as is", `null` clears a nullable URL.
 *
 * @throws ClaimsgateError `CG_STORE_INVALID` naming the field.
 */
export function normalizeIssuerPatch(patch: IssuerPatch): Partial<IssuerFields> {
  requireShape(IssuerPatchSchema, patch, 'patch');
  const out: { -readonly [K in keyof IssuerFields]?: IssuerFields[K] } = {};
  if (patch.name !== undefined) out.name = normalizeName(patch.name);
  if (patch.description !== undefined) out.description = optionalText('description', patch.description) ?? '';
  if (patch.issuerUri !== undefined) out.issuerUri = requireText('issuerUri', patch.issuerUri);
  if (patch.protocols !== undefined) out.protocols = normalizeProtocols(patch.protocols);
  if (patch.metadataUrl !== undefined) out.metadataUrl = optionalHttpUrl('metadataUrl', patch.metadataUrl);
  if (patch.loginUrl !== undefined) out.loginUrl = optionalHttpUrl('loginUrl', patch.loginUrl);
  if (patch.useForLogin !== undefined) out.useForLogin = patch.useForLogin;
  if (patch.label !== undefined) out.label = requireLabel('label', patch.label);
  if (patch.refreshIntervalSeconds !== undefined) out.refreshIntervalSeconds = patch.refreshIntervalSeconds;
  if (patch.signaturePolicy !== undefined)
    out.signaturePolicy = normalizeSignaturePolicy(patch.signaturePolicy);
  if (patch.allowSha1 !== undefined) out.allowSha1 = patch.allowSha1;
  if (patch.allowedTenants !== undefined)
    out.allowedTenants = requireTextList('allowedTenants', patch.allowedTenants);
  if (patch.discontinuityPolicy !== undefined) out.discontinuityPolicy = patch.discontinuityPolicy;
  if (patch.requireSignedAssertion !== undefined) out.requireSignedAssertion = patch.requireSignedAssertion;
  if (patch.domains !== undefined) out.domains = normalizeDomains('domains', patch.domains);
  return out;
}
