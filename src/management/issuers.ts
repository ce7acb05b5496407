import { planIssuerRemoval } from '../store/issuer-removal.js';
import type {
  Actor,
  IssuerPatch,
  IssuerRecord,
  NewIssuer,
  RealmRecord,
  RealmUnlink,
} from '../store/model.js';
import { notFoundError } from '../store/store-errors.js';
import type { RefreshResult } from '../rollover/rollover-engine.js';
import { readIssuerState, type ManagementContext } from './context.js';
import { adminInputError, issuerNames, requireIssuer } from './lookups.js';
import type {
  IssuerDetail,
  IssuerInput,
  IssuerRemovalView,
  IssuerSummary,
  IssuerUpdate,
  PendingChangeView,
  RefreshAllView,
  RefreshOutcomeView,
} from './service.js';
import {
  compareKeys,
  summarizeIssuer,
  viewAlert,
  viewClaimMapping,
  viewKey,
  viewRealmUnlinks,
  viewPendingChange,
  viewSnapshot,
} from './views.js';

/**
 * Every issuer with its summary, by name.
 *
 * @throws ClaimsgateError `CG_STORE_*` when the store fails.
 */
export async function listIssuerSummaries(context: ManagementContext): Promise<IssuerSummary[]> {
  const state = await readIssuerState(context);
  const now = context.now();
  return [...state.issuers]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((issuer) =>
      summarizeIssuer(
        issuer,
        state.keys.filter((key) => key.issuerId === issuer.id),
        state.states.get(issuer.id),
        state.alerts,
        now,
        state.pendingChanges.get(issuer.id),
      ),
    );
}

/** The detail of an issuer record already read. */
export async function detailOf(context: ManagementContext, issuer: IssuerRecord): Promise<IssuerDetail> {
  const { store } = context;
  const [state, snapshot, mappings, claimTypes] = await Promise.all([
    readIssuerState(context, [issuer]),
    store.getMetadataSnapshot(issuer.id),
    store.listClaimMappings(issuer.id),
    store.getTokenClaimTypes(issuer.id),
  ]);
  const now = context.now();
  const names = new Map([[issuer.id, issuer.name]]);
  return {
    ...summarizeIssuer(
      issuer,
      state.keys,
      state.states.get(issuer.id),
      state.alerts,
      now,
      state.pendingChanges.get(issuer.id),
    ),
    keys: [...state.keys].sort(compareKeys).map((key) => viewKey(key, now)),
    snapshot: viewSnapshot(snapshot),
    mappings: mappings.map((mapping) => viewClaimMapping(mapping, names)),
    lastTokenClaims:
      claimTypes === undefined
        ? null
        : { claimTypes: [...claimTypes.claimTypes], since: claimTypes.since.toISOString() },
  };
}

/**
 * One issuer with its keys, last-known-good document and claim mappings.
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND`.
 */
export async function getIssuerDetail(context: ManagementContext, idOrName: string): Promise<IssuerDetail> {
  return detailOf(context, await requireIssuer(context.store, idOrName));
}

/** The fields of an issuer input or update, exactly as given (the store validates each). */
function issuerFields(input: IssuerUpdate): IssuerPatch {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input)) if (value !== undefined) fields[name] = value;
  return fields;
}

/**
 * Creates an issuer without refreshing it.
 *
 * @throws ClaimsgateError `CG_STORE_DUPLICATE`, `CG_STORE_INVALID`.
 */
export async function createIssuer(
  context: ManagementContext,
  input: IssuerInput,
  actor: Actor,
): Promise<IssuerDetail> {
  const created = await context.store.createIssuer(issuerFields(input) as NewIssuer, actor);
  return detailOf(context, created);
}

/**
 * Updates an issuer's fields, optionally against the version the admin saw.
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND`, `CG_STORE_CONFLICT`, `CG_STORE_DUPLICATE`,
 *   `CG_STORE_INVALID`; `CG_ADMIN_INPUT_INVALID` for an update that changes nothing.
 */
export async function updateIssuer(
  context: ManagementContext,
  idOrName: string,
  update: IssuerUpdate,
  actor: Actor,
  expectedVersion?: number,
): Promise<IssuerDetail> {
  const issuer = await requireIssuer(context.store, idOrName);
  const patch = issuerFields(update);
  if (Object.keys(patch).length === 0) {
    throw adminInputError('update', 'The update names no field to change.');
  }
  const updated = await context.store.updateIssuer(issuer.id, patch, actor, expectedVersion);
  return detailOf(context, updated);
}

/** The removal view of an issuer: its keys and mappings, and the realm changes given (realms read before the change). */
async function removalView(
  context: ManagementContext,
  issuer: IssuerRecord,
  unlinks: readonly RealmUnlink[],
  realms: readonly RealmRecord[],
): Promise<IssuerRemovalView> {
  const { store } = context;
  const [keys, mappings, names] = await Promise.all([
    store.listKeys(issuer.id),
    store.listClaimMappings(issuer.id),
    issuerNames(store),
  ]);
  return {
    issuerId: issuer.id,
    issuerName: issuer.name,
    keys: keys.length,
    mappings: mappings.length,
    realms: viewRealmUnlinks(issuer, unlinks, realms, names),
  };
}

/**
 * What deleting an issuer would remove and change in the realms that name it.
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND`; `CG_STORE_REFERENCED`.
 */
export async function previewIssuerDeletion(
  context: ManagementContext,
  idOrName: string,
): Promise<IssuerRemovalView> {
  const issuer = await requireIssuer(context.store, idOrName);
  const realms = await context.store.listRealms();
  return removalView(context, issuer, planIssuerRemoval(issuer, realms), realms);
}

/**
 * Deletes an issuer with its keys, mappings, snapshot and refresh state, and
 * takes it out of the realms that name it in the same transaction.
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND`; `CG_STORE_REFERENCED`.
 */
export async function deleteIssuer(
  context: ManagementContext,
  idOrName: string,
  actor: Actor,
): Promise<IssuerRemovalView> {
  const issuer = await requireIssuer(context.store, idOrName);
  // Read before: the keys and mappings go with the issuer, and the realms change.
  const realms = await context.store.listRealms();
  const before = await removalView(context, issuer, [], realms);
  const removal = await context.store.deleteIssuer(issuer.id, actor);
  return {
    ...before,
    realms: viewRealmUnlinks(issuer, removal.realms, realms, await issuerNames(context.store)),
  };
}
/** The view of a refresh's result, with the issuer as it now stands. */
export async function viewRefreshResult(
  context: ManagementContext,
  result: RefreshResult,
): Promise<RefreshOutcomeView> {
  return {
    issuerId: result.issuerId,
    outcome: result.outcome,
    code: result.code ?? null,
    alerts: result.alerts.map(viewAlert),
    issuer: await getIssuerDetail(context, result.issuerId),
  };
}

/**
 * "Refresh now": audits who asked, then runs a forced refresh through the
 * engine (single flight in this process, the store's lock across instances).
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND`; `CG_ADMIN_INPUT_INVALID` for an issuer without a metadata URL.
 */
export async function refreshIssuerNow(
  context: ManagementContext,
  idOrName: string,
  actor: Actor,
): Promise<RefreshOutcomeView> {
  const issuer = await requireIssuer(context.store, idOrName);
  if (issuer.metadataUrl === null) {
    throw adminInputError(
      'issuer',
      `Issuer ${issuer.name} has no metadata URL: there is nothing to refresh. Add its keys by hand, or import its metadata.`,
      { observed: issuer.name },
    );
  }
  // The refresh's own entries are written by `refresh`; this one says which admin asked for it.
  await context.store.appendAudit({
    actor,
    action: 'issuer.refresh-requested',
    issuerId: issuer.id,
    subject: issuer.metadataUrl,
    before: null,
    after: { reason: 'manual', force: true },
    refresh: null,
  });
  const result = await context.engine.refreshIssuer(issuer.id, { force: true, reason: 'manual' });
  return viewRefreshResult(context, result);
}

/** Failures a "Refresh all" answer names, at most: the rest are in the log and the audit. */
const REFRESH_ALL_FAILURES_SHOWN = 100;

/**
 * "Refresh all": audits who asked, once, then refreshes every issuer with a
 * metadata URL through the engine, a bounded number at a time.
 *
 * @throws ClaimsgateError `CG_STORE_*` when the audit entry cannot be written.
 */
export async function refreshAllIssuers(context: ManagementContext, actor: Actor): Promise<RefreshAllView> {
  await context.store.appendAudit({
    actor,
    action: 'issuers.refresh-all-requested',
    issuerId: null,
    subject: null,
    before: null,
    after: { reason: 'manual', force: true },
    refresh: null,
  });
  const started = performance.now();
  const results = await context.engine.refreshAll();
  const byOutcome = { success: 0, 'not-modified': 0, failure: 0, skipped: 0, deferred: 0 };
  for (const result of results) byOutcome[result.outcome] += 1;
  const failed = results
    .filter((result) => result.outcome === 'failure')
    .slice(0, REFRESH_ALL_FAILURES_SHOWN);
  const records = context.engine.directory()?.records;
  const failures = await Promise.all(
    failed.map(async (result) => ({
      issuer:
        records?.issuer(result.issuerId)?.name ??
        (await context.store.getIssuer(result.issuerId))?.name ??
        result.issuerId,
      code: result.code ?? null,
    })),
  );
  return { issuers: results.length, seconds: (performance.now() - started) / 1000, byOutcome, failures };
}

/**
 * The issuer's pending change with its diff.
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND` (issuer, or no pending change).
 */
export async function getPendingChange(
  context: ManagementContext,
  idOrName: string,
): Promise<PendingChangeView> {
  const issuer = await requireIssuer(context.store, idOrName);
  const [change, keys] = await Promise.all([
    context.store.getPendingChange(issuer.id),
    context.store.listKeys(issuer.id),
  ]);
  if (change === undefined) throw notFoundError('pending change', issuer.name, 'issuer');
  return viewPendingChange(change, keys);
}

/**
 * Approves the pending change the admin reviewed (by its SHA-256) and
 * refreshes the issuer through the engine, so that the approved document is
 * applied by the normal refresh path (audited).
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND`, `CG_STORE_CONFLICT`, `CG_STORE_INVALID`.
 */
export async function approvePendingChange(
  context: ManagementContext,
  idOrName: string,
  sha256: string,
  actor: Actor,
): Promise<RefreshOutcomeView> {
  const issuer = await requireIssuer(context.store, idOrName);
  const result = await context.engine.approvePendingChange(issuer.id, sha256, actor);
  return viewRefreshResult(context, result);
}

/**
 * Rejects the pending change the admin reviewed (by its SHA-256).
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND`, `CG_STORE_CONFLICT`, `CG_STORE_INVALID`.
 */
export async function rejectPendingChange(
  context: ManagementContext,
  idOrName: string,
  sha256: string,
  actor: Actor,
): Promise<PendingChangeView> {
  const issuer = await requireIssuer(context.store, idOrName);
  const rejected = await context.engine.rejectPendingChange(issuer.id, sha256, actor);
  return viewPendingChange(rejected, await context.store.listKeys(issuer.id));
}
