import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRefreshScheduler } from '../../src/rollover/refresh-scheduler.js';
import type { IssuerRecord, RefreshStateRecord } from '../../src/store/model.js';

const NOW = new Date('2026-12-07T12:00:00.000Z');

function fakeTimers() {
  const armed: number[] = [];
  return {
    armed,
    timers: {
      setTimeout(_callback: () => void, ms: number): unknown {
        armed.push(ms);
        return armed.length;
      },
      clearTimeout(): void {},
    },
  };
}

describe('the refresh scheduler', () => {
  it('arms each timer for a whole number of seconds, never sooner than its due time nor than a second', () => {
    const { armed, timers } = fakeTimers();
    const scheduler = createRefreshScheduler({ timers, now: () => NOW, onDue: () => undefined });
    const issuers = [1234.5, 3_599_001, 10, -5_000].map(
      (offset, index) =>
        [
          { id: `i${index}`, metadataUrl: 'https://idp.test/metadata.xml' } as IssuerRecord,
          { nextAttemptAt: new Date(NOW.getTime() + offset) } as RefreshStateRecord,
        ] as const,
    );
    scheduler.sync(
      issuers.map(([issuer]) => issuer),
      new Map(issuers.map(([issuer, state]) => [issuer.id, state])),
    );
    assert.deepEqual(armed, [2000, 3_600_000, 1000, 1000]);
  });
});
