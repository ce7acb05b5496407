import type { IssuerRecord } from '../store/model.js';
import type { Store } from '../store/store.js';
import { evaluateAlerts, keyLabel, type Alert, type AlertThresholds } from './alerts.js';
import type { AlertDispatcher } from './dispatch-alerts.js';
import { planKeyExpiry } from './plan-key-expiry.js';
import type { Logger } from './structured-log.js';
import type { TrustLoader } from './trust-loader.js';

export interface EngineAlertsOptions {
  readonly store: Store;
  readonly now: () => Date;
  readonly logger: Logger;
  readonly thresholds: AlertThresholds;
  readonly dispatcher: AlertDispatcher;
  /** The records alerts are checked against, as last loaded. */
  readonly loader: Pick<TrustLoader, 'records'>;
  /** Reads these issuers into the in-memory trust again; called for the issuers whose keys a check expired. */
  readonly reload: (issuerIds: readonly string[]) => Promise<void>;
}

/** What {@link EngineAlerts.fireLocked} did. */
export interface FiredAlerts {
  /** The alerts fired (new ones only). */
  readonly alerts: Alert[];
  /** Keys it expired: their issuer's keys must be read again. */
  readonly keysExpired: number;
}

/** The engine's alerting: key expiry and alerts evaluated and fired once, under each issuer's lock. */
export interface EngineAlerts {
  /** Expires keys, evaluates the issuer's alerts from fresh records and fires new ones. The caller holds the issuer's lock. */
  fireLocked(issuer: IssuerRecord, planned: readonly Alert[]): Promise<FiredAlerts>;
  /**
   * Evaluates every issuer's alerts from the loaded records (or only these
   * issuers', after a change that touched them) and fires the new ones,
   * expiring keys whose certificate has expired, each issuer under its
   * lock; returns the alerts fired.
   *
   * @throws ClaimsgateError `CG_STORE_*` when the store fails.
   */
  checkAll(issuerIds?: readonly string[]): Promise<Alert[]>;
}

/** Who expires keys in the audit log: the passing of time, not an administrator or a document. */
const EXPIRY_ACTOR = 'rollover';

/** Creates the engine's alerting. */
export function createEngineAlerts(options: EngineAlertsOptions): EngineAlerts {
  const { store, now, logger, thresholds, dispatcher, loader } = options;

  /**
   * Expires the issuer's usable keys whose certificate has passed its
   * notAfter (manual keys, and metadata keys between refreshes), keeping
   * the last usable one; returns the `key-expired` alerts, the keys expired
   * and the issuer's keys as they are after. The caller holds the issuer's lock.
   */
  async function expireKeysLocked(issuer: IssuerRecord) {
    const at = now();
    const keys = await store.listKeys(issuer.id);
    const plan = planKeyExpiry(issuer, keys, at);
    for (const key of plan.expire) {
      await store.setKeyState(
        key.id,
        'expired',
        EXPIRY_ACTOR,
        `its certificate expired ${key.notAfter?.toISOString() ?? ''}`.trimEnd(),
      );
    }
    if (plan.expire.length > 0) {
      logger({
        level: 'info',
        event: 'keys.expired',
        issuerId: issuer.id,
        issuer: issuer.name,
        keys: plan.expire.map((key) => keyLabel(key)),
      });
    }
    // Read again only when something expired: one read of the keys per refresh, not two.
    return {
      alerts: plan.alerts,
      expired: plan.expire.length,
      keys: plan.expire.length === 0 ? keys : await store.listKeys(issuer.id),
    };
  }

  /** Expires keys, evaluates the issuer's alerts from fresh records and fires new ones. The caller holds the issuer's lock. */
  async function fireAlertsLocked(issuer: IssuerRecord, planned: readonly Alert[]): Promise<FiredAlerts> {
    const expiry = await expireKeysLocked(issuer);
    const { keys } = expiry;
    const state = await store.getRefreshState(issuer.id);
    const alerts = [
      ...planned,
      ...expiry.alerts,
      ...evaluateAlerts({
        issuers: [issuer],
        keys,
        refreshStates: new Map(state === undefined ? [] : [[issuer.id, state]]),
        now: now(),
        thresholds,
        labelConflicts: loader.records().labelConflicts(),
      }),
    ];
    return { alerts: await dispatcher.dispatch(issuer.id, alerts), keysExpired: expiry.expired };
  }

  async function checkAlerts(issuerIds?: readonly string[]): Promise<Alert[]> {
    const at = now();
    const records = loader.records();
    const issuers =
      issuerIds === undefined
        ? records.issuers
        : issuerIds.flatMap((id) => {
            const issuer = records.issuer(id);
            return issuer === undefined ? [] : [issuer];
          });
    const alerts = evaluateAlerts({
      issuers,
      keys: issuerIds === undefined ? records.keys : issuers.flatMap((issuer) => records.keysOf(issuer.id)),
      refreshStates: records.states,
      now: at,
      thresholds,
      labelConflicts: records.labelConflicts(),
    });
    const byIssuer = new Map<string, Alert[]>();
    for (const alert of alerts) {
      const list = byIssuer.get(alert.issuerId);
      if (list === undefined) byIssuer.set(alert.issuerId, [alert]);
      else list.push(alert);
    }
    const fired: Alert[] = [];
    const expired: string[] = [];
    for (const issuer of issuers) {
      const mine = byIssuer.get(issuer.id) ?? [];
      // Expiry is the passing of time: no refresh is needed to notice it,
      // and an issuer without metadata (or with failing metadata) has none.
      const expiring = planKeyExpiry(issuer, records.keysOf(issuer.id), at).expire.length > 0;
      if (!expiring && !dispatcher.hasUnfired(mine)) continue;
      // Under the issuer's lock so that instances sharing the store fire once;
      // when it is held, the holder fires them (or the next check does).
      const done = await store.withRefreshLock(issuer.id, () =>
        expiring
          ? fireAlertsLocked(issuer, []).then((fired) => fired.alerts)
          : dispatcher.dispatch(issuer.id, mine),
      );
      if (done !== undefined) fired.push(...done);
      if (expiring && done !== undefined) expired.push(issuer.id);
    }
    if (expired.length > 0) await options.reload(expired);
    return fired;
  }

  return { fireLocked: fireAlertsLocked, checkAll: checkAlerts };
}
