import type { Actor, KeyRecord, NewAuditEntry, NewKey, RefreshFacts } from '../store/model.js';
import type { KeyState } from '../tokens/trust-snapshot.js';
import { keyLabel } from './alerts.js';
import type { PlanRefreshInput } from './refresh-plan-model.js';

/**
 * The audit entry of a refresh as a whole (`metadata.updated`,
 * `refresh.recovered`, `refresh.failed`): it names the configured
 * document's request, and `extra` (a failure's code, message and streak)
 * leads its `after`.
 */
export function refreshAudit(
  input: PlanRefreshInput,
  action: string,
  facts: RefreshFacts,
  keySetFacts: RefreshFacts | undefined,
  extra?: Readonly<Record<string, unknown>>,
): NewAuditEntry {
  return {
    actor: input.actor ?? 'refresh',
    action,
    issuerId: input.issuer.id,
    subject: facts.url,
    before: null,
    after: refreshAfter(input, keySetFacts, extra),
    refresh: facts,
  };
}

/** The audit entry of a stored key's change of state; `after` holds at least the new state. */
export function keyStateAudit(
  actor: Actor,
  action: string,
  issuerId: string,
  key: KeyRecord,
  after: { readonly state: KeyState } & Readonly<Record<string, unknown>>,
): NewAuditEntry {
  return {
    actor,
    action,
    issuerId,
    subject: keyLabel(key),
    before: { state: key.state },
    after,
    refresh: null,
  };
}

/** The `key.added` audit entry of a key the metadata published for the first time. */
export function keyAddedAudit(actor: Actor, issuerId: string, key: NewKey, state: KeyState): NewAuditEntry {
  return {
    actor,
    action: 'key.added',
    issuerId,
    subject: keyLabel(key),
    before: null,
    after: {
      state,
      source: 'metadata',
      subject: key.subject,
      notBefore: key.notBefore?.toISOString() ?? null,
      notAfter: key.notAfter?.toISOString() ?? null,
    },
    refresh: null,
  };
}

/**
 * The `after` of a refresh entry: its trigger and, for an OpenID Connect
 * issuer, `keySet`, the facts of the key set request (the entry's `refresh`
 * describes the discovery document request).
 */
function refreshAfter(
  input: PlanRefreshInput,
  keySetFacts: RefreshFacts | undefined,
  extra: Readonly<Record<string, unknown>> = {},
): Record<string, unknown> | null {
  const after = {
    ...extra,
    ...(input.trigger === undefined ? {} : { trigger: input.trigger }),
    ...(keySetFacts === undefined ? {} : { keySet: keySetFacts }),
  };
  return Object.keys(after).length === 0 ? null : after;
}
