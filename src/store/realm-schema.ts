/**
 * The realm's input shape, declared once: the fields an owner chooses when
 * creating or changing a relying-party realm (the store adds id and
 * timestamps). From this schema come the store's `NewRealm` and
 * `RealmPatch`, the admin service's `RealmInput` and `RealmUpdate` (which
 * name allowed issuers by ID or name), the admin API's request schemas and
 * their OpenAPI entries, and the shape half of the store's check
 * (validate-realm-input.ts), whose finer rules (an http(s) reply URL, names
 * without invisible characters) stay code.
 *
 * Adding a field: see docs/development.md, "Adding a realm or claim mapping field".
 */
import { Type, type Static } from '@sinclair/typebox';
import { closedObject, listOf, orNull } from '../lib/schema-builders.js';
import { MAX_TEXT } from './issuer-schema.js';

const text = Type.String({ minLength: 1, maxLength: MAX_TEXT });

/** Every field of a realm that its owner chooses, each with its JSON schema. */
export const REALM_FIELD_SCHEMAS = {
  realmUri: Type.String({
    minLength: 1,
    maxLength: MAX_TEXT,
    description: 'What tokens are addressed to: the wtrealm, SAML audience or OIDC client ID.',
  }),
  replyUrl: Type.String({
    minLength: 1,
    maxLength: MAX_TEXT,
    description: 'Where users return after signing in (http or https).',
  }),
  homeRealm: orNull(
    Type.String({ maxLength: MAX_TEXT, description: 'The issuer to use without asking (whr), if any.' }),
  ),
  allowedIssuerIds: listOf(text, {
    maxItems: 1000,
    description: 'Issuer IDs allowed for this realm; empty means every issuer.',
  }),
};

const f = REALM_FIELD_SCHEMAS;

/** A new realm: its URI and reply URL, and optionally a home realm and the issuers it allows. */
export const NewRealmSchema = closedObject({
  realmUri: f.realmUri,
  replyUrl: f.replyUrl,
  homeRealm: Type.Optional(f.homeRealm),
  allowedIssuerIds: Type.Optional(f.allowedIssuerIds),
});

/** A realm change: any of the fields. */
export const RealmPatchSchema = closedObject({
  realmUri: Type.Optional(f.realmUri),
  replyUrl: Type.Optional(f.replyUrl),
  homeRealm: Type.Optional(f.homeRealm),
  allowedIssuerIds: Type.Optional(f.allowedIssuerIds),
});

/** The allowed issuers as an administrator names them: by ID or name. */
const allowedIssuers = listOf(text, {
  maxItems: 1000,
  description: 'Issuers allowed for this realm, by ID or name; empty or absent means every issuer.',
});

/** A new realm as the admin service takes it: the store's fields, allowed issuers by ID or name. */
export const RealmInputSchema = closedObject({
  realmUri: f.realmUri,
  replyUrl: f.replyUrl,
  homeRealm: Type.Optional(f.homeRealm),
  allowedIssuers: Type.Optional(allowedIssuers),
});

/** A realm update as the admin service takes it: any field of {@link RealmInputSchema}, at least one. */
export const RealmUpdateSchema = closedObject(
  {
    realmUri: Type.Optional(f.realmUri),
    replyUrl: Type.Optional(f.replyUrl),
    homeRealm: Type.Optional(f.homeRealm),
    allowedIssuers: Type.Optional(allowedIssuers),
  },
  { minProperties: 1 },
);

/** Fields given when a realm is created. */
export type NewRealm = Static<typeof NewRealmSchema>;

/** Fields a realm update may change. */
export type RealmPatch = Static<typeof RealmPatchSchema>;

/** A new realm for the admin service; allowed issuers by ID or name, empty or absent meaning every issuer. */
export type RealmInput = Static<typeof RealmInputSchema>;

/** A realm update for the admin service. */
export type RealmUpdate = Static<typeof RealmUpdateSchema>;

/** Every field of a realm once checked (the store adds id and timestamps). */
export type RealmFields = Readonly<Required<NewRealm>>;
