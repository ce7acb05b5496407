/**
 * The issuer's input shape, declared once: the fields an owner chooses when
 * creating or changing an issuer (the store adds id, timestamps and
 * version). From this schema come the store's `NewIssuer` and `IssuerPatch`
 * types, the admin service's input types, the admin API's request schemas
 * and OpenAPI entries, and the field lists of the CLI and the admin site.
 * The finer rules (URL schemes, thumbprints, names shaped like IDs) are the
 * store's own checks (validate-issuer-input.ts), which every writer passes.
 *
 * Adding a field: see docs/development.md, "Adding an issuer field".
 */
import { Type, type Static } from '@sinclair/typebox';
import type { MetadataSignaturePolicy } from '../metadata/check-metadata-signature.js';
import { closedObject, enumOf, listOf, orNull } from '../lib/schema-builders.js';

/** Longest text accepted in a field. */
export const MAX_TEXT = 2048;

/** Most e-mail domains one issuer may hold (see email-domains.ts). */
export const MAX_ISSUER_DOMAINS = 200;

/** The sign-in protocols an issuer may speak. */
export const PROTOCOLS = ['wsfed', 'saml2', 'oidc'] as const;

/** What a refresh may do with a document that replaces the keys without continuity (docs/rollover.md). */
export const DISCONTINUITY_POLICIES = ['auto', 'hold', 'accept-with-alert'] as const;

/** How a metadata document's own signature is checked. */
export const SIGNATURE_MODES = ['off', 'self-consistent', 'pinned'] as const;

const text = Type.String({ minLength: 1, maxLength: MAX_TEXT });

/** An issuer's metadata signature policy as given: `pinned` needs `pinnedSigners` (checked by the store). */
export const SignaturePolicyInputSchema = closedObject({
  mode: enumOf(SIGNATURE_MODES),
  pinnedSigners: Type.Optional(listOf(text, { maxItems: 20 })),
});

/**
 * Every field of an issuer that its owner chooses, each with its JSON
 * schema and description. `name` and `issuerUri` are required on create;
 * the others take the defaults of `normalizeNewIssuer`.
 */
export const ISSUER_FIELD_SCHEMAS = {
  name: Type.String({
    minLength: 1,
    maxLength: 200,
    description: 'Short unique name used by the CLI and the admin site (`contoso-aad`).',
  }),
  issuerUri: Type.String({
    minLength: 1,
    maxLength: MAX_TEXT,
    description: 'The issuer URI / entityID tokens name; may be a `{tenantid}` template.',
  }),
  description: Type.String({ maxLength: MAX_TEXT, description: 'Free text for administrators.' }),
  protocols: listOf(enumOf(PROTOCOLS), {
    minItems: 1,
    maxItems: 3,
    description: 'The sign-in protocols the issuer speaks.',
  }),
  metadataUrl: orNull(
    Type.String({
      maxLength: MAX_TEXT,
      description: 'Where its metadata is published; null for a manual-only issuer.',
    }),
  ),
  loginUrl: orNull(
    Type.String({
      maxLength: MAX_TEXT,
      description: 'The WS-Fed passive endpoint or SAML SSO URL users are sent to.',
    }),
  ),
  useForLogin: Type.Boolean({ description: 'Listed on the home-realm page.' }),
  label: Type.String({
    maxLength: 200,
    description: 'Prefix of mapped identities (`K2AAD` in `K2AAD:bob@contoso.com`); the name by default.',
  }),
  refreshIntervalSeconds: Type.Integer({ minimum: 1, description: 'Seconds between metadata refreshes.' }),
  signaturePolicy: SignaturePolicyInputSchema,
  allowSha1: Type.Boolean({
    description: 'Accept RSA-SHA1 signatures and SHA-1 digests in tokens from this issuer (off by default).',
  }),
  allowedTenants: listOf(text, {
    maxItems: 1000,
    description: 'Tenants allowed when `issuerUri` is a `{tenantid}` template.',
  }),
  discontinuityPolicy: enumOf(DISCONTINUITY_POLICIES, {
    description: 'What a refresh does with a document that replaces the keys without continuity.',
  }),
  requireSignedAssertion: Type.Boolean({
    description:
      'SAML 2.0: the assertion must carry its own signature; a signed Response around an unsigned assertion is refused.',
  }),
  domains: listOf(Type.String({ minLength: 1, maxLength: 300 }), {
    maxItems: MAX_ISSUER_DOMAINS,
    description:
      'The e-mail domains whose users this issuer signs in (`contoso.com`): the sign-in page sends an address at one of them here. Stored lower case, in ASCII (IDNA) and without a trailing dot; a domain belongs to one issuer at most.',
  }),
};

/** The name of an issuer field. */
export type IssuerFieldName = keyof typeof ISSUER_FIELD_SCHEMAS;

/** Every issuer field, in the order forms and listings show them. */
export const ISSUER_FIELD_NAMES = Object.keys(ISSUER_FIELD_SCHEMAS).filter(
  (name): name is IssuerFieldName => name in ISSUER_FIELD_SCHEMAS,
);

const f = ISSUER_FIELD_SCHEMAS;
const optionalFields = {
  description: Type.Optional(f.description),
  protocols: Type.Optional(f.protocols),
  metadataUrl: Type.Optional(f.metadataUrl),
  loginUrl: Type.Optional(f.loginUrl),
  useForLogin: Type.Optional(f.useForLogin),
  label: Type.Optional(f.label),
  refreshIntervalSeconds: Type.Optional(f.refreshIntervalSeconds),
  signaturePolicy: Type.Optional(f.signaturePolicy),
  allowSha1: Type.Optional(f.allowSha1),
  allowedTenants: Type.Optional(f.allowedTenants),
  discontinuityPolicy: Type.Optional(f.discontinuityPolicy),
  requireSignedAssertion: Type.Optional(f.requireSignedAssertion),
  domains: Type.Optional(f.domains),
};

/** A new issuer: `name` and `issuerUri`, and any other field (the rest take defaults). */
export const NewIssuerSchema = closedObject({ name: f.name, issuerUri: f.issuerUri, ...optionalFields });

/** An issuer change: any of the fields, at least one. */
export const IssuerPatchSchema = closedObject(
  { name: Type.Optional(f.name), issuerUri: Type.Optional(f.issuerUri), ...optionalFields },
  { minProperties: 1 },
);

/** Fields given when an issuer is created; the rest take defaults. */
export type NewIssuer = Static<typeof NewIssuerSchema>;

/** Fields an issuer update may change. */
export type IssuerPatch = Static<typeof IssuerPatchSchema>;

/**
 * Every field of an issuer once checked and defaulted (the store adds id,
 * timestamps and version): the signature policy in its checked form.
 */
export type IssuerFields = Readonly<Required<Omit<NewIssuer, 'signaturePolicy'>>> & {
  readonly signaturePolicy: MetadataSignaturePolicy;
};
