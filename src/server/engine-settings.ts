import type { Config } from '../config/config-schema.js';
import type { DeepReadonly } from '../config/deep-freeze.js';
import type { RolloverEngineOptions } from '../rollover/rollover-engine.js';

/** The rollover engine's settings from the gateway configuration (everything but the store). */
export function engineSettings(config: DeepReadonly<Config>): Omit<RolloverEngineOptions, 'store'> {
  const { rollover } = config;
  return {
    fetchSpacingSeconds: rollover.fetchSpacingSeconds,
    unknownKeyWaitMs: rollover.unknownKeyWaitMs,
    maxWaitingTokens: rollover.maxWaitingTokens,
    continuityProbationSeconds: rollover.continuityProbationSeconds,
    graceSeconds: rollover.graceSeconds,
    reconcileIntervalMs: rollover.reconcileIntervalMs,
    startWaitMs: rollover.startWaitMs,
    fetchTimeoutMs: rollover.fetchTimeoutMs,
    allowHttp: rollover.allowHttpMetadata,
    alertThresholds: {
      expiryDays: rollover.alerts.expiryDays,
      consecutiveFailures: rollover.alerts.consecutiveFailures,
      staleAfterSeconds: rollover.alerts.staleAfterSeconds,
    },
    ...(rollover.webhook === undefined
      ? {}
      : {
          webhook: {
            url: rollover.webhook.url,
            headers: rollover.webhook.headers,
            retries: rollover.webhook.retries,
          },
        }),
  };
}
