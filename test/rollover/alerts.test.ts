import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { parseCertificateDer, type CertificateInfo } from '../../src/crypto/certificate.js';
import { evaluateAlerts, makeAlert, resolveAlertThresholds, type Alert } from '../../src/rollover/alerts.js';
import { planKeyExpiry } from '../../src/rollover/plan-key-expiry.js';
import type { KeyRecord, RefreshStateRecord } from '../../src/store/model.js';
import { createTestCertificate } from '../helpers/certificates.js';
import { at, issuerRecord, keyRecord, refreshState, T0 } from '../helpers/rollover-records.js';

let infoA: CertificateInfo;
let infoB: CertificateInfo;

before(async () => {
  const [a, b] = await Promise.all([createTestCertificate(), createTestCertificate()]);
  infoA = parseCertificateDer(a.der);
  infoB = parseCertificateDer(b.der);
});

const DAY = 86_400;

function kinds(alerts: readonly Alert[]): string[] {
  return alerts.map((alert) => `${alert.kind}:${alert.threshold ?? ''}`);
}

function evaluate(keys: KeyRecord[], state?: RefreshStateRecord, issuer = issuerRecord()) {
  return evaluateAlerts({
    issuers: [issuer],
    keys,
    refreshStates: new Map(state === undefined ? [] : [[issuer.id, state]]),
    now: T0,
  });
}

describe('evaluateAlerts', () => {
  it('raises nothing for a healthy issuer with two keys far from expiry', () => {
    assert.deepEqual(evaluate([keyRecord(infoA), keyRecord(infoB)], refreshState()), []);
  });

  it('warns at the tightest expiry threshold reached when no successor is published', () => {
    for (const [daysLeft, expected] of [
      [45, undefined],
      [30, 30],
      [8, 30],
      [7, 7],
      [0.5, 1],
    ] as const) {
      const expiring = keyRecord(infoA, { notAfter: at(daysLeft * DAY) });
      const older = keyRecord(infoB, { notAfter: at(daysLeft * DAY - 1), state: 'active' });
      const alerts = evaluate([expiring, older], refreshState()).filter(
        (alert) => alert.kind === 'key-expiring',
      );
      if (expected === undefined) {
        assert.deepEqual(alerts, [], `${daysLeft} days`);
      } else {
        // Only the key with the latest expiry lacks a successor.
        assert.deepEqual(
          alerts.map((alert) => [alert.subject, alert.threshold]),
          [[infoA.sha1, expected]],
          `${daysLeft} days`,
        );
      }
    }
  });

  it('raises no expiry alert when a successor with a later expiry is published', () => {
    const expiring = keyRecord(infoA, { notAfter: at(5 * DAY) });
    const successor = keyRecord(infoB, { notAfter: at(400 * DAY), state: 'announced' });
    assert.deepEqual(
      evaluate([expiring, successor], refreshState()).filter((alert) => alert.kind === 'key-expiring'),
      [],
    );
  });

  it('marks the last day before expiry as critical', () => {
    const [alert] = evaluate([keyRecord(infoA, { notAfter: at(3600) })], refreshState()).filter(
      (candidate) => candidate.kind === 'key-expiring',
    );
    assert.equal(alert?.severity, 'critical');
  });

  it('raises single-key for an issuer with one trusted key and no-trusted-key with none', () => {
    assert.deepEqual(kinds(evaluate([keyRecord(infoA)], refreshState())), ['single-key:']);
    assert.deepEqual(kinds(evaluate([keyRecord(infoA, { state: 'retired' })], refreshState())), [
      'no-trusted-key:',
    ]);
  });

  it('raises refresh-failing after N failures in a row', () => {
    const keys = [keyRecord(infoA), keyRecord(infoB)];
    assert.deepEqual(kinds(evaluate(keys, refreshState({ consecutiveFailures: 2 }))), []);
    const alerts = evaluate(
      keys,
      refreshState({ consecutiveFailures: 3, lastErrorCode: 'CG_META_HTTP_STATUS' }),
    );
    assert.deepEqual(kinds(alerts), ['refresh-failing:3']);
    assert.equal(alerts[0]!.detail.lastErrorCode, 'CG_META_HTTP_STATUS');
  });

  it('raises metadata-stale when the last-known-good is older than the threshold', () => {
    const keys = [keyRecord(infoA), keyRecord(infoB)];
    const alerts = evaluate(keys, refreshState({ lastSuccessAt: at(-DAY - 1) }));
    assert.deepEqual(kinds(alerts), [`metadata-stale:${DAY}`]);
    assert.equal(alerts[0]!.severity, 'critical');
  });

  it('gives a new failure streak a new dedupe key, and the same streak the same one', () => {
    const keys = [keyRecord(infoA), keyRecord(infoB)];
    const first = evaluate(keys, refreshState({ consecutiveFailures: 3, lastSuccessAt: at(-600) }));
    const same = evaluate(keys, refreshState({ consecutiveFailures: 7, lastSuccessAt: at(-600) }));
    const next = evaluate(keys, refreshState({ consecutiveFailures: 3, lastSuccessAt: at(-60) }));
    assert.equal(first[0]!.dedupeKey, same[0]!.dedupeKey);
    assert.notEqual(first[0]!.dedupeKey, next[0]!.dedupeKey);
  });

  it('gives a manual-only issuer key alerts but no refresh alerts', () => {
    const issuer = issuerRecord({ metadataUrl: null, createdAt: at(-400 * DAY) });
    const alerts = evaluate(
      [keyRecord(infoA, { source: 'manual', notAfter: at(2 * DAY) })],
      undefined,
      issuer,
    );
    assert.deepEqual(kinds(alerts), ['single-key:', 'key-expiring:7']);
  });

  it('reports a recent revocation', () => {
    const revoked = keyRecord(infoB, { state: 'revoked', stateChangedAt: at(-60) });
    const old = keyRecord(infoB, { state: 'revoked', stateChangedAt: at(-90 * DAY) });
    const alerts = evaluate([keyRecord(infoA), keyRecord(infoA), revoked, old], refreshState());
    assert.deepEqual(
      alerts.map((alert) => [alert.kind, alert.keyId]),
      [['key-revoked', revoked.id]],
    );
  });
});

describe('alert helpers', () => {
  it('builds dedupe keys from kind, issuer, subject, threshold and episode', () => {
    const alert = makeAlert({
      kind: 'key-expiring',
      issuer: { id: 'iss-1', name: 'contoso' },
      subject: 'AB',
      threshold: 7,
      message: 'm',
    });
    assert.equal(alert.dedupeKey, 'key-expiring|iss-1|AB|7|');
    assert.equal(alert.severity, 'warning');
  });

  it('refuses bad thresholds with a TypeError', () => {
    assert.throws(() => resolveAlertThresholds({ consecutiveFailures: 0 }), TypeError);
    assert.throws(() => resolveAlertThresholds({ expiryDays: [-1] }), TypeError);
    assert.throws(() => resolveAlertThresholds({ staleAfterSeconds: Number.NaN }), TypeError);
    assert.deepEqual(resolveAlertThresholds({ expiryDays: [7, 30, 1] }).expiryDays, [1, 7, 30]);
  });
});

describe('evaluateAlerts on expired certificates', () => {
  it('raises a critical key-expired, not key-expiring, for an expired key that is the only usable one', () => {
    const alerts = evaluate([keyRecord(infoA, { notAfter: at(-60) })], refreshState());
    assert.deepEqual(kinds(alerts), ['single-key:', 'key-expired:']);
    const expired = alerts.find((alert) => alert.kind === 'key-expired');
    assert.equal(expired?.severity, 'critical');
    assert.equal(expired?.detail.trusted, true);
  });

  it('raises nothing for an expired key beside a valid one: the engine expires it', () => {
    const alerts = evaluate(
      [keyRecord(infoA, { notAfter: at(-60) }), keyRecord(infoB, { notAfter: at(400 * DAY) })],
      refreshState(),
    );
    assert.deepEqual(alerts, []);
  });
});

describe('planKeyExpiry', () => {
  const issuer = issuerRecord();

  it('expires every usable key past its notAfter, manual or from metadata, with an info alert each', () => {
    const manual = keyRecord(infoA, { source: 'manual', notAfter: at(-1) });
    const metadata = keyRecord(infoB, { state: 'retiring', notAfter: at(0) });
    const valid = keyRecord(undefined, { kid: 'k', notAfter: at(60) });
    const retired = keyRecord(infoA, { state: 'retired', notAfter: at(-600) });
    const plan = planKeyExpiry(issuer, [manual, metadata, valid, retired], T0);
    assert.deepEqual(
      plan.expire.map((key) => key.id),
      [manual.id, metadata.id],
    );
    assert.equal(plan.kept, undefined);
    assert.deepEqual(
      plan.alerts.map((alert) => [alert.kind, alert.severity, alert.keyId]),
      [
        ['key-expired', 'info', manual.id],
        ['key-expired', 'info', metadata.id],
      ],
    );
  });

  it('keeps the key that expired last when no valid key would remain, with a critical alert', () => {
    const older = keyRecord(infoA, { notAfter: at(-7200) });
    const newer = keyRecord(infoB, { notAfter: at(-60) });
    const plan = planKeyExpiry(issuer, [older, newer, keyRecord(infoA, { state: 'revoked' })], T0);
    assert.deepEqual(
      plan.expire.map((key) => key.id),
      [older.id],
    );
    assert.equal(plan.kept?.id, newer.id);
    const kept = plan.alerts.find((alert) => alert.severity === 'critical');
    assert.equal(kept?.kind, 'key-expired');
    assert.equal(kept?.keyId, newer.id);
  });

  it('changes nothing when no certificate has expired', () => {
    assert.deepEqual(planKeyExpiry(issuer, [keyRecord(infoA), keyRecord(undefined, { sha1: 'AB' })], T0), {
      expire: [],
      kept: undefined,
      alerts: [],
    });
  });
});
