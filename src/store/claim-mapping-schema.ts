/**
 * The claim mapping's input shape, declared once: how an issuer's claims
 * become an identity (`label:value-of-nameClaim`). From this schema come
 * the store's `NewClaimMapping` and `ClaimMappingPatch`, the admin
 * service's `ClaimMappingInput` and `ClaimMappingUpdate` (which name the
 * issuer by ID or name), the admin API's request schemas and their OpenAPI
 * entries, and the shape half of the store's check
 * (validate-realm-input.ts), whose finer rules (a label without a colon or
 * invisible characters) stay code.
 *
 * Adding a field: see docs/development.md, "Adding a realm or claim mapping field".
 */
import { Type, type Static } from '@sinclair/typebox';
import { closedObject, orNull } from '../lib/schema-builders.js';
import { MAX_TEXT } from './issuer-schema.js';

/** Every field of a claim mapping that its owner chooses, each with its JSON schema. */
export const CLAIM_MAPPING_FIELD_SCHEMAS = {
  issuerId: Type.String({ minLength: 1, maxLength: MAX_TEXT }),
  label: Type.String({
    minLength: 1,
    maxLength: 200,
    description: 'Prefix of the identities it makes (`label:value-of-nameClaim`).',
  }),
  nameClaim: Type.String({
    minLength: 1,
    maxLength: MAX_TEXT,
    description: 'The claim type whose value names the user (e.g. the UPN claim).',
  }),
  groupClaim: orNull(
    Type.String({ maxLength: MAX_TEXT, description: 'The claim type carrying group membership, if any.' }),
  ),
};

const f = CLAIM_MAPPING_FIELD_SCHEMAS;

/** A new claim mapping: its issuer, label and name claim, and optionally a group claim. */
export const NewClaimMappingSchema = closedObject({
  issuerId: f.issuerId,
  label: f.label,
  nameClaim: f.nameClaim,
  groupClaim: Type.Optional(f.groupClaim),
});

/** A claim mapping change: any of the fields. */
export const ClaimMappingPatchSchema = closedObject({
  issuerId: Type.Optional(f.issuerId),
  label: Type.Optional(f.label),
  nameClaim: Type.Optional(f.nameClaim),
  groupClaim: Type.Optional(f.groupClaim),
});

/** A new claim mapping as the admin service takes it: the issuer by ID or name. */
export const ClaimMappingInputSchema = closedObject({
  issuer: Type.String({ minLength: 1, maxLength: MAX_TEXT, description: 'The issuer, by ID or name.' }),
  label: f.label,
  nameClaim: f.nameClaim,
  groupClaim: Type.Optional(f.groupClaim),
});

/** A claim mapping update as the admin service takes it: the issuer of a mapping does not change. */
export const ClaimMappingUpdateSchema = closedObject(
  {
    label: Type.Optional(f.label),
    nameClaim: Type.Optional(f.nameClaim),
    groupClaim: Type.Optional(f.groupClaim),
  },
  { minProperties: 1 },
);

/** Fields given when a claim mapping is created. */
export type NewClaimMapping = Static<typeof NewClaimMappingSchema>;

/** Fields a claim mapping update may change. */
export type ClaimMappingPatch = Static<typeof ClaimMappingPatchSchema>;

/** A new claim mapping for the admin service; the issuer by ID or name. */
export type ClaimMappingInput = Static<typeof ClaimMappingInputSchema>;

/** A claim mapping update for the admin service. */
export type ClaimMappingUpdate = Static<typeof ClaimMappingUpdateSchema>;

/** Every field of a claim mapping once checked (the store adds id and timestamps). */
export type ClaimMappingFields = Readonly<Required<NewClaimMapping>>;
