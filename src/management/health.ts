import { ClaimsgateError } from '../lib/errors.js';
import { USABLE_KEY_STATES } from '../tokens/trust-snapshot.js';
import { readIssuerState, type ManagementContext } from './context.js';
import type { AdminHealth } from './service.js';
import { iso, viewAlert, viewRefresh } from './views.js';

/**
 * Store reachability, the engine's counters, and per issuer the usable keys,
 * the last good refresh and the alerts. A store that cannot be read is
 * reported (with its error code), never thrown.
 */
export async function readHealth(context: ManagementContext): Promise<AdminHealth> {
  const now = context.now();
  const engine = context.engine.metrics();
  const backend = context.store.backend;
  let state;
  try {
    state = await readIssuerState(context);
  } catch (error) {
    const code = error instanceof ClaimsgateError ? error.code : 'CG_STORE_UNAVAILABLE';
    return { checkedAt: iso(now), store: { backend, reachable: false, code }, engine, issuers: [] };
  }
  return {
    checkedAt: iso(now),
    store: { backend, reachable: true, code: null },
    engine,
    issuers: [...state.issuers]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((issuer) => ({
        id: issuer.id,
        name: issuer.name,
        usableKeys: state.keys.filter((key) => key.issuerId === issuer.id && USABLE_KEY_STATES.has(key.state))
          .length,
        refresh: viewRefresh(state.states.get(issuer.id), now),
        alerts: state.alerts.filter((alert) => alert.issuerId === issuer.id).map(viewAlert),
      })),
  };
}
