import type { AlertCounters, AlertDispatcher } from './dispatch-alerts.js';
import type { RefreshResult } from './issuer-refresher.js';
import type { TrustLoader } from './trust-loader.js';
import type { UnknownKeyCounts } from './unknown-key-hook.js';

/** Counters for a metrics endpoint. */
export interface EngineMetrics {
  readonly refreshes: Readonly<Record<RefreshResult['outcome'], number>>;
  readonly unknownKey: {
    readonly refreshes: number;
    readonly joined: number;
    readonly timedOut: number;
    readonly unmapped: number;
    readonly overflow: number;
  };
  readonly reloads: number;
  readonly issuers: number;
  readonly usableKeys: number;
  readonly alerts: AlertCounters;
}

/** The engine's own counters, counted up as refreshes end and unknown keys are met; never reset. */
export interface EngineCounts {
  readonly refreshes: Record<RefreshResult['outcome'], number>;
  readonly unknownKey: UnknownKeyCounts;
}

/** Counters all at zero. */
export function createEngineCounts(): EngineCounts {
  return {
    refreshes: { success: 0, 'not-modified': 0, failure: 0, skipped: 0, deferred: 0 },
    unknownKey: { refreshes: 0, joined: 0, timedOut: 0, unmapped: 0, overflow: 0 },
  };
}

/** The metrics now: a copy of the counters, with the loaded trust's and the alert dispatcher's figures. */
export function readEngineMetrics(
  counts: EngineCounts,
  loader: Pick<TrustLoader, 'loads' | 'records' | 'snapshot'>,
  dispatcher: Pick<AlertDispatcher, 'counters'>,
): EngineMetrics {
  return {
    refreshes: { ...counts.refreshes },
    unknownKey: { ...counts.unknownKey },
    reloads: loader.loads(),
    issuers: loader.records().issuers.length,
    usableKeys: loader
      .snapshot()
      .issuers()
      .reduce((total, issuer) => total + loader.snapshot().keysForIssuer(issuer.issuer).length, 0),
    alerts: dispatcher.counters(),
  };
}
