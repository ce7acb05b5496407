import type { Actor, ClaimMappingPatch, NewClaimMapping, RealmPatch } from '../store/model.js';
import type { ManagementContext } from './context.js';
import { adminInputError, issuerNames, requireClaimMapping, requireIssuer, requireRealm } from './lookups.js';
import type {
  ClaimMappingInput,
  ClaimMappingUpdate,
  ClaimMappingView,
  RealmInput,
  RealmUpdate,
  RealmView,
} from './service.js';
import { viewClaimMapping, viewRealm } from './views.js';

/** Issuer IDs for a list of issuer IDs or names. @throws ClaimsgateError `CG_STORE_NOT_FOUND`. */
async function issuerIds(context: ManagementContext, names: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const name of names) ids.push((await requireIssuer(context.store, name)).id);
  return [...new Set(ids)];
}

async function realmFields(context: ManagementContext, input: RealmUpdate): Promise<RealmPatch> {
  return {
    ...(input.realmUri === undefined ? {} : { realmUri: input.realmUri }),
    ...(input.replyUrl === undefined ? {} : { replyUrl: input.replyUrl }),
    ...(input.homeRealm === undefined ? {} : { homeRealm: input.homeRealm }),
    ...(input.allowedIssuers === undefined
      ? {}
      : { allowedIssuerIds: await issuerIds(context, input.allowedIssuers) }),
  };
}

/** Every realm, by URI. */
export async function listRealms(context: ManagementContext): Promise<RealmView[]> {
  const [realms, names] = await Promise.all([context.store.listRealms(), issuerNames(context.store)]);
  return realms.sort((a, b) => a.realmUri.localeCompare(b.realmUri)).map((realm) => viewRealm(realm, names));
}

/** @throws ClaimsgateError `CG_STORE_NOT_FOUND`. */
export async function getRealm(context: ManagementContext, idOrUri: string): Promise<RealmView> {
  const realm = await requireRealm(context.store, idOrUri);
  return viewRealm(realm, await issuerNames(context.store));
}

/**
 * Creates a realm; allowed issuers may be named by ID or name.
 *
 * @throws ClaimsgateError `CG_STORE_DUPLICATE`, `CG_STORE_INVALID`, `CG_STORE_NOT_FOUND` (an unknown issuer).
 */
export async function createRealm(
  context: ManagementContext,
  input: RealmInput,
  actor: Actor,
): Promise<RealmView> {
  const { allowedIssuers, ...fields } = input;
  const allowed =
    allowedIssuers === undefined ? {} : { allowedIssuerIds: await issuerIds(context, allowedIssuers) };
  const realm = await context.store.createRealm({ ...fields, ...allowed }, actor);
  return viewRealm(realm, await issuerNames(context.store));
}

/**
 * Updates a realm's fields.
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND`, `CG_STORE_DUPLICATE`, `CG_STORE_INVALID`;
 *   `CG_ADMIN_INPUT_INVALID` for an update that changes nothing.
 */
export async function updateRealm(
  context: ManagementContext,
  idOrUri: string,
  update: RealmUpdate,
  actor: Actor,
): Promise<RealmView> {
  const realm = await requireRealm(context.store, idOrUri);
  const fields = await realmFields(context, update);
  if (Object.keys(fields).length === 0)
    throw adminInputError('update', 'The update names no field to change.');
  const updated = await context.store.updateRealm(realm.id, fields, actor);
  return viewRealm(updated, await issuerNames(context.store));
}

/** @throws ClaimsgateError `CG_STORE_NOT_FOUND`. */
export async function deleteRealm(context: ManagementContext, idOrUri: string, actor: Actor): Promise<void> {
  const realm = await requireRealm(context.store, idOrUri);
  await context.store.deleteRealm(realm.id, actor);
}

/** Mappings of one issuer or of every issuer, by issuer name then label. @throws `CG_STORE_NOT_FOUND`. */
export async function listClaimMappings(
  context: ManagementContext,
  issuer?: string,
): Promise<ClaimMappingView[]> {
  const issuerId = issuer === undefined ? undefined : (await requireIssuer(context.store, issuer)).id;
  const [mappings, names] = await Promise.all([
    context.store.listClaimMappings(issuerId),
    issuerNames(context.store),
  ]);
  return mappings
    .map((mapping) => viewClaimMapping(mapping, names))
    .sort((a, b) => a.issuerName.localeCompare(b.issuerName) || a.label.localeCompare(b.label));
}

/** @throws ClaimsgateError `CG_STORE_NOT_FOUND`. */
export async function getClaimMapping(context: ManagementContext, id: string): Promise<ClaimMappingView> {
  const mapping = await requireClaimMapping(context.store, id);
  return viewClaimMapping(mapping, await issuerNames(context.store));
}

/** @throws ClaimsgateError `CG_STORE_NOT_FOUND` (issuer), `CG_STORE_DUPLICATE`, `CG_STORE_INVALID`. */
export async function createClaimMapping(
  context: ManagementContext,
  input: ClaimMappingInput,
  actor: Actor,
): Promise<ClaimMappingView> {
  const issuer = await requireIssuer(context.store, input.issuer);
  const fields: NewClaimMapping = {
    issuerId: issuer.id,
    label: input.label,
    nameClaim: input.nameClaim,
    ...(input.groupClaim === undefined ? {} : { groupClaim: input.groupClaim }),
  };
  const mapping = await context.store.createClaimMapping(fields, actor);
  return viewClaimMapping(mapping, new Map([[issuer.id, issuer.name]]));
}

/**
 * Updates a mapping's label and claims.
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND`, `CG_STORE_INVALID`; `CG_ADMIN_INPUT_INVALID` for an empty update.
 */
export async function updateClaimMapping(
  context: ManagementContext,
  id: string,
  update: ClaimMappingUpdate,
  actor: Actor,
): Promise<ClaimMappingView> {
  const mapping = await requireClaimMapping(context.store, id);
  const fields: ClaimMappingPatch = {
    ...(update.label === undefined ? {} : { label: update.label }),
    ...(update.nameClaim === undefined ? {} : { nameClaim: update.nameClaim }),
    ...(update.groupClaim === undefined ? {} : { groupClaim: update.groupClaim }),
  };
  if (Object.keys(fields).length === 0)
    throw adminInputError('update', 'The update names no field to change.');
  const updated = await context.store.updateClaimMapping(mapping.id, fields, actor);
  return viewClaimMapping(updated, await issuerNames(context.store));
}

/** @throws ClaimsgateError `CG_STORE_NOT_FOUND`. */
export async function deleteClaimMapping(
  context: ManagementContext,
  id: string,
  actor: Actor,
): Promise<void> {
  const mapping = await requireClaimMapping(context.store, id);
  await context.store.deleteClaimMapping(mapping.id, actor);
}
