import {
  evaluateAlerts,
  resolveAlertThresholds,
  type Alert,
  type AlertThresholds,
} from '../rollover/alerts.js';
import { DEFAULT_PROBATION_SECONDS } from '../rollover/judge-continuity.js';
import type { RolloverEngine } from '../rollover/rollover-engine.js';
import { findLabelConflicts } from '../store/label-conflicts.js';
import type { IssuerRecord, KeyRecord, PendingChangeRecord, RefreshStateRecord } from '../store/model.js';
import type { Store } from '../store/store.js';
import type { ManagementServiceOptions } from './service.js';
import type { DocumentFetchContext } from './import-document.js';
import type { ImportPlanSettings } from './import-preview.js';

/** What every admin operation shares, resolved once from the service options. */
export interface ManagementContext extends DocumentFetchContext {
  readonly store: Store;
  readonly engine: RolloverEngine;
  readonly thresholds: AlertThresholds;
  /** The engine's grace period and continuity probation, so that an import's preview plans as its refresh does. */
  readonly planSettings: ImportPlanSettings;
}

/**
 * Checks the service options and fills in the defaults.
 *
 * @throws TypeError for a missing store or engine, or a bad option.
 */
export function resolveManagementContext(options: ManagementServiceOptions): ManagementContext {
  if (options === undefined || options === null) throw new TypeError('options are required.');
  if (options.store === undefined || options.store === null) throw new TypeError('store is required.');
  if (options.engine === undefined || options.engine === null) throw new TypeError('engine is required.');
  const fetchTimeoutMs = options.fetchTimeoutMs ?? 10_000;
  if (!Number.isSafeInteger(fetchTimeoutMs) || fetchTimeoutMs <= 0) {
    throw new TypeError(
      `fetchTimeoutMs must be a positive whole number of ms; got ${String(fetchTimeoutMs)}.`,
    );
  }
  const maxBytes = options.maxMetadataBytes;
  if (maxBytes !== undefined && (!Number.isSafeInteger(maxBytes) || maxBytes <= 0)) {
    throw new TypeError(`maxMetadataBytes must be a positive whole number; got ${String(maxBytes)}.`);
  }
  const graceSeconds = checkSeconds('graceSeconds', options.graceSeconds ?? 3600);
  const probationSeconds = checkSeconds(
    'continuityProbationSeconds',
    options.continuityProbationSeconds ?? DEFAULT_PROBATION_SECONDS,
  );
  return {
    planSettings: { graceSeconds, probationSeconds },
    store: options.store,
    engine: options.engine,
    now: options.now ?? (() => new Date()),
    fetch: options.fetch,
    allowHttp: options.allowHttp ?? false,
    fetchTimeoutMs,
    maxMetadataBytes: maxBytes,
    thresholds: resolveAlertThresholds(options.alertThresholds),
  };
}

function checkSeconds(name: string, seconds: unknown): number {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
    throw new TypeError(`${name} must be a number of seconds of at least 0; got ${String(seconds)}.`);
  }
  return seconds;
}

/** Issuers with every key and refresh state, and the alerts they call for now. */
export interface IssuerState {
  readonly issuers: readonly IssuerRecord[];
  readonly keys: readonly KeyRecord[];
  readonly states: ReadonlyMap<string, RefreshStateRecord>;
  readonly alerts: readonly Alert[];
  /** Pending changes (documents held for lack of key continuity) by issuer ID. */
  readonly pendingChanges: ReadonlyMap<string, PendingChangeRecord>;
}

/**
 * Reads the issuers given (default all), their keys and refresh states, and
 * evaluates the alerts the engine would raise for them now.
 *
 * @throws ClaimsgateError `CG_STORE_*` when the store fails.
 */
export async function readIssuerState(
  context: ManagementContext,
  only?: readonly IssuerRecord[],
): Promise<IssuerState> {
  const { store } = context;
  // One issuer's page must not read every issuer and mapping (10,000 issuers): the engine's records
  // know the labels shared, when they hold every change seen; the store is read otherwise.
  const directory = only === undefined ? undefined : context.engine.directory();
  const labelsFromDirectory =
    directory?.issuersCurrent === true ? directory.records.labelConflicts() : undefined;
  const every = only !== undefined && labelsFromDirectory !== undefined ? only : await store.listIssuers();
  const labelConflicts = labelsFromDirectory ?? findLabelConflicts(every, await store.listClaimMappings());
  const issuers = only ?? every;
  const keys = issuers.length === 1 ? await store.listKeys(issuers[0]!.id) : await store.listKeys();
  const pending =
    issuers.length === 1
      ? [await store.getPendingChange(issuers[0]!.id)].filter((change) => change !== undefined)
      : await store.listPendingChanges();
  const pendingChanges = new Map(pending.map((change) => [change.issuerId, change]));
  const states = new Map<string, RefreshStateRecord>();
  await Promise.all(
    issuers.map(async (issuer) => {
      const state = await store.getRefreshState(issuer.id);
      if (state !== undefined) states.set(issuer.id, state);
    }),
  );
  const alerts = evaluateAlerts({
    issuers,
    keys,
    refreshStates: states,
    now: context.now(),
    thresholds: context.thresholds,
    labelConflicts,
  });
  return { issuers, keys, states, alerts, pendingChanges };
}
