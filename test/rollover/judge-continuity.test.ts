import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { parseCertificateDer, type CertificateInfo } from '../../src/crypto/certificate.js';
import type { ClaimsgateError } from '../../src/lib/errors.js';
import type { MetadataSignatureReport } from '../../src/metadata/check-metadata-signature.js';
import type { MetadataFetched } from '../../src/metadata/process-metadata-response.js';
import type { PublishedKey } from '../../src/metadata/model.js';
import {
  discontinuityPolicyFor,
  judgeContinuity,
  type ContinuityInput,
} from '../../src/rollover/judge-continuity.js';
import { planRefresh, type PlanRefreshInput } from '../../src/rollover/plan-refresh.js';
import { parseFetchedDocument } from '../../src/rollover/run-refresh.js';
import type { KeyRecord, PendingChangeRecord } from '../../src/store/model.js';
import { createTestCertificate, type TestCertificate } from '../helpers/certificates.js';
import { buildFederationMetadata } from '../helpers/federation-metadata.js';
import { entraJwk } from '../helpers/oidc-documents.js';
import { at, issuerRecord, keyRecord, refreshState, T0 } from '../helpers/rollover-records.js';

let certA: TestCertificate;
let certB: TestCertificate;
let certX: TestCertificate;
let infoA: CertificateInfo;
let infoB: CertificateInfo;
let infoX: CertificateInfo;

before(async () => {
  [certA, certB, certX] = await Promise.all([
    createTestCertificate({ commonName: 'key A' }),
    createTestCertificate({ commonName: 'key B' }),
    createTestCertificate({ commonName: 'attacker X' }),
  ]);
  [infoA, infoB, infoX] = [certA, certB, certX].map((cert) => parseCertificateDer(cert.der)) as [
    CertificateInfo,
    CertificateInfo,
    CertificateInfo,
  ];
});

function published(info: CertificateInfo): PublishedKey {
  return {
    sha1: info.sha1,
    sha256: info.sha256,
    kid: undefined,
    certificate: info,
    jwk: undefined,
    sections: ['fed:SecurityTokenServiceType'],
    issuer: undefined,
  };
}

function signedBy(info: CertificateInfo): MetadataSignatureReport {
  return {
    status: 'valid',
    signer: { sha1: info.sha1, sha256: info.sha256, subject: info.subject, notAfter: info.notAfter },
    signerIsAdvertisedKey: true,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    usesSha1: false,
  };
}

const UNSIGNED: MetadataSignatureReport = { status: 'unsigned' };
const SHA = 'ab'.repeat(32);
const PREVIOUS = 'ef'.repeat(32);

function judge(overrides: Partial<ContinuityInput>) {
  return judgeContinuity({
    issuer: issuerRecord(),
    keys: [keyRecord(infoA)],
    previousSnapshot: undefined,
    signature: UNSIGNED,
    published: [published(infoX)],
    sha256: SHA,
    pendingChange: undefined,
    now: T0,
    probationSeconds: 86_400,
    ...overrides,
  });
}

function pending(overrides: Partial<PendingChangeRecord> = {}): PendingChangeRecord {
  return {
    issuerId: 'iss-1',
    detectedAt: at(-60),
    url: 'http://127.0.0.1:1/metadata.xml',
    sha256: SHA,
    signerSha1: null,
    reason: 'unsigned-replacement',
    keys: [],
    decision: 'approved',
    decidedBy: 'admin:alice',
    decidedAt: at(-30),
    ...overrides,
  };
}

describe('judgeContinuity', () => {
  it('calls a first document, for an issuer that never held a key or a document, initial', () => {
    assert.deepEqual(judge({ keys: [] }), { kind: 'initial' });
  });

  it('judges the next document of an issuer whose keys were all revoked, retired or expired: no continuity is left to share', () => {
    for (const state of ['revoked', 'retired', 'expired'] as const) {
      assert.deepEqual(judge({ keys: [keyRecord(infoA, { state })] }), {
        kind: 'discontinuous',
        reason: 'unsigned-replacement',
      });
      assert.deepEqual(judge({ keys: [keyRecord(infoA, { state })], signature: signedBy(infoX) }), {
        kind: 'discontinuous',
        reason: 'unknown-signer-replacement',
      });
    }
    // A document fetched before, whose keys are gone from the store, is no first refresh either.
    assert.equal(
      judge({ keys: [], previousSnapshot: { sha256: PREVIOUS, signerSha1: null } }).kind,
      'discontinuous',
    );
  });

  it('calls a document signed by a key the issuer is trusted with continuous, whatever it publishes', () => {
    assert.deepEqual(judge({ signature: signedBy(infoA) }), { kind: 'continuous', reason: 'trusted-signer' });
    // A retiring key still vouches; a manual key too.
    assert.deepEqual(
      judge({ keys: [keyRecord(infoA, { state: 'retiring' })], signature: signedBy(infoA) }).kind,
      'continuous',
    );
    assert.deepEqual(
      judge({
        keys: [keyRecord(undefined, { sha1: infoA.sha1, source: 'manual' })],
        signature: signedBy(infoA),
      }),
      { kind: 'continuous', reason: 'trusted-signer' },
    );
    // A retired key does not.
    assert.equal(
      judge({
        keys: [keyRecord(infoB), keyRecord(infoA, { state: 'retired' })],
        signature: signedBy(infoA),
      }).kind,
      'discontinuous',
    );
  });

  it('calls a document signed by a pinned signer continuous, and one signed by the last-known-good’s signer alone not', () => {
    assert.deepEqual(
      judge({
        issuer: issuerRecord({ signaturePolicy: { mode: 'pinned', pinnedSigners: [infoX.sha1] } }),
        signature: signedBy(infoX),
      }),
      { kind: 'continuous', reason: 'pinned-signer' },
    );
    // The last-known-good may have been accepted only with an alert, its signer revoked since:
    // having signed it vouches for nothing.
    assert.deepEqual(
      judge({ previousSnapshot: { sha256: PREVIOUS, signerSha1: infoX.sha1 }, signature: signedBy(infoX) }),
      {
        kind: 'discontinuous',
        reason: 'unknown-signer-replacement',
      },
    );
    assert.deepEqual(
      judge({
        keys: [keyRecord(infoA), keyRecord(infoX, { state: 'revoked' })],
        previousSnapshot: { sha256: PREVIOUS, signerSha1: infoX.sha1 },
        signature: signedBy(infoX),
        published: [published(infoB)],
      }),
      { kind: 'discontinuous', reason: 'unknown-signer-replacement' },
    );
  });

  it('calls a document that shares a key continuous, unless the issuer used to sign and it does not', () => {
    const both = [published(infoA), published(infoX)];
    assert.deepEqual(judge({ published: both }), { kind: 'continuous', reason: 'shared-key' });
    assert.deepEqual(judge({ published: both, signature: signedBy(infoX) }), {
      kind: 'continuous',
      reason: 'shared-key',
    });
    assert.deepEqual(
      judge({ published: both, previousSnapshot: { sha256: PREVIOUS, signerSha1: infoA.sha1 } }),
      {
        kind: 'discontinuous',
        reason: 'downgrade',
      },
    );
    // An invalid signature (accepted under the `off` policy) is no signature.
    assert.deepEqual(
      judge({
        published: both,
        previousSnapshot: { sha256: PREVIOUS, signerSha1: infoA.sha1 },
        signature: { status: 'invalid', reason: 'CG_SIG_VALUE_INVALID', message: 'bad', signer: undefined },
      }),
      { kind: 'discontinuous', reason: 'downgrade' },
    );
  });

  it('calls a document signed by a key the issuer is not trusted with a downgrade once the issuer signed, whatever keys it shares', () => {
    // A self-consistent signature proves the document is whole, not who sent it: a document that
    // keeps the real keys and adds the sender's own, signed by that key, is no continuation.
    const keys = [keyRecord(infoA), keyRecord(infoB)];
    const hostile = [published(infoA), published(infoB), published(infoX)];
    const previousSnapshot = { sha256: PREVIOUS, signerSha1: infoA.sha1 };
    assert.deepEqual(judge({ keys, previousSnapshot, published: hostile, signature: signedBy(infoX) }), {
      kind: 'discontinuous',
      reason: 'downgrade',
    });
    // The same document signed by the issuer's own key is its rollover.
    assert.deepEqual(judge({ keys, previousSnapshot, published: hostile, signature: signedBy(infoA) }), {
      kind: 'continuous',
      reason: 'trusted-signer',
    });
  });

  it('lets a key a document brought in vouch for no document until its probation ends', () => {
    const first = keyRecord(infoA, { firstSeenAt: at(-7 * 86_400) });
    const brought = keyRecord(infoX, { state: 'announced', firstSeenAt: at(-60) });
    const keys = [first, brought];
    // Step two of "answer twice": drop the real key, keep the one added a minute ago.
    assert.deepEqual(judge({ keys, published: [published(infoX)] }), {
      kind: 'discontinuous',
      reason: 'unsigned-replacement',
    });
    assert.deepEqual(judge({ keys, published: [published(infoX)], signature: signedBy(infoX) }), {
      kind: 'discontinuous',
      reason: 'unknown-signer-replacement',
    });
    // The same document a day later is the honest end of an announced rollover.
    const dayLater = { keys, published: [published(infoX)], now: at(86_400 - 60) };
    assert.deepEqual(judge(dayLater), { kind: 'continuous', reason: 'shared-key' });
    assert.deepEqual(judge({ ...dayLater, signature: signedBy(infoX) }), {
      kind: 'continuous',
      reason: 'trusted-signer',
    });
    // A probation of 0 lets every usable key vouch at once.
    assert.equal(judge({ keys, published: [published(infoX)], probationSeconds: 0 }).kind, 'continuous');
  });

  it('lets the issuer’s first keys and keys an administrator added vouch at once', () => {
    const justNow = at(-60);
    const initial = [
      keyRecord(infoA, { firstSeenAt: justNow }),
      keyRecord(infoB, { state: 'announced', firstSeenAt: justNow }),
    ];
    assert.deepEqual(judge({ keys: initial, published: [published(infoB)] }), {
      kind: 'continuous',
      reason: 'shared-key',
    });
    const manual = [
      keyRecord(infoA, { firstSeenAt: at(-86_400 * 30) }),
      keyRecord(infoX, { firstSeenAt: justNow, source: 'manual', addedBy: 'admin:alice' }),
    ];
    assert.deepEqual(judge({ keys: manual, published: [published(infoX)], signature: signedBy(infoX) }), {
      kind: 'continuous',
      reason: 'trusted-signer',
    });
  });

  it('counts a key’s probation from when a refresh brought it back, not from when it was first seen (security review, round 5)', () => {
    // X was published once a month ago, retired, and republished a minute ago.
    const first = keyRecord(infoA, { firstSeenAt: at(-60 * 86_400) });
    const returned = keyRecord(infoX, {
      state: 'announced',
      firstSeenAt: at(-30 * 86_400),
      probationFrom: at(-60),
    });
    assert.deepEqual(judge({ keys: [first, returned], published: [published(infoX)] }), {
      kind: 'discontinuous',
      reason: 'unsigned-replacement',
    });
    assert.equal(
      judge({ keys: [first, returned], published: [published(infoX)], now: at(86_400) }).kind,
      'continuous',
    );
    // One of the issuer's first keys that comes back serves a probation too.
    const firstBack = keyRecord(infoA, { firstSeenAt: at(-60 * 86_400), probationFrom: at(-60) });
    const later = keyRecord(infoB, { state: 'retired', firstSeenAt: at(-30 * 86_400) });
    assert.equal(judge({ keys: [firstBack, later], published: [published(infoA)] }).kind, 'discontinuous');
    // An administrator who made it usable again vouched for it.
    const restored = { ...returned, probationFrom: null };
    assert.deepEqual(judge({ keys: [first, restored], published: [published(infoX)] }), {
      kind: 'continuous',
      reason: 'shared-key',
    });
  });

  it('calls the last-known-good document, fetched again, unchanged whatever its keys', () => {
    const keys = [keyRecord(infoX, { firstSeenAt: at(-60) }), keyRecord(infoA, { state: 'retired' })];
    const previousSnapshot = { sha256: SHA, signerSha1: null };
    assert.deepEqual(judge({ keys, previousSnapshot }), { kind: 'continuous', reason: 'unchanged' });
    assert.equal(
      judge({ keys, previousSnapshot: { sha256: PREVIOUS, signerSha1: null } }).kind,
      'discontinuous',
    );
  });

  it('calls a replacement of every key discontinuous, saying whether it was signed', () => {
    assert.deepEqual(judge({}), { kind: 'discontinuous', reason: 'unsigned-replacement' });
    assert.deepEqual(judge({ signature: signedBy(infoX) }), {
      kind: 'discontinuous',
      reason: 'unknown-signer-replacement',
    });
  });

  it('counts no key a document merely claims: a JWK with a trusted kid but other key material', () => {
    const trustedJwk = entraJwk(certA);
    const record = keyRecord(undefined, {
      sha1: null,
      sha256: null,
      kid: String(trustedJwk['kid']),
      jwk: trustedJwk,
    });
    const forged = entraJwk(certX);
    const claim: PublishedKey = {
      sha1: infoA.sha1,
      sha256: undefined,
      kid: String(trustedJwk['kid']),
      certificate: undefined,
      jwk: { ...forged, kid: trustedJwk['kid'] },
      sections: ['jwks'],
      issuer: undefined,
    };
    assert.equal(judge({ keys: [record], published: [claim] }).kind, 'discontinuous');
    const same: PublishedKey = { ...claim, jwk: trustedJwk };
    assert.equal(judge({ keys: [record], published: [same] }).kind, 'continuous');
  });

  it('calls a discontinuous document approved only when the approval names its very SHA-256', () => {
    assert.deepEqual(judge({ pendingChange: pending() }), {
      kind: 'approved',
      reason: 'unsigned-replacement',
    });
    assert.equal(judge({ pendingChange: pending({ sha256: 'cd'.repeat(32) }) }).kind, 'discontinuous');
    assert.equal(judge({ pendingChange: pending({ decision: 'pending' }) }).kind, 'discontinuous');
    assert.equal(judge({ pendingChange: pending({ decision: 'rejected' }) }).kind, 'discontinuous');
  });
});

describe('discontinuityPolicyFor', () => {
  it('resolves auto by the scheme of every URL fetched, and leaves an explicit policy alone', () => {
    const auto = issuerRecord();
    assert.equal(discontinuityPolicyFor(auto, ['http://127.0.0.1:8788/metadata.xml']), 'hold');
    assert.equal(discontinuityPolicyFor(auto, ['https://login.test/metadata.xml']), 'accept-with-alert');
    assert.equal(
      discontinuityPolicyFor(auto, [
        'https://login.test/.well-known/openid-configuration',
        'http://127.0.0.1/keys',
      ]),
      'hold',
    );
    assert.equal(
      discontinuityPolicyFor(issuerRecord({ discontinuityPolicy: 'hold' }), ['https://login.test/m.xml']),
      'hold',
    );
    assert.equal(
      discontinuityPolicyFor(issuerRecord({ discontinuityPolicy: 'accept-with-alert' }), [
        'http://127.0.0.1/m.xml',
      ]),
      'accept-with-alert',
    );
  });
});

describe('planRefresh and key continuity', () => {
  const HTTP_URL = 'http://127.0.0.1:1/metadata.xml';
  const HTTPS_URL = 'https://idp.test/metadata.xml';

  function attempt(certificates: readonly TestCertificate[], url = HTTP_URL, signer?: TestCertificate) {
    const body = Buffer.from(
      buildFederationMetadata({
        entityId: 'https://idp.test/tenant-1/',
        signingCertificates: certificates.map((cert) => cert.base64),
        ...(signer === undefined
          ? {}
          : { signer: { privateKey: signer.privateKey, certificatePem: signer.pem } }),
      }),
    );
    const response: MetadataFetched = {
      status: 'ok',
      body,
      url,
      httpStatus: 200,
      etag: '"v2"',
      sha256: createHash('sha256').update(body).digest('hex'),
      fetchedAt: T0,
      redirects: [],
    };
    return { status: 'fetched' as const, response, parsed: parseFetchedDocument(issuerRecord(), body) };
  }

  function plan(overrides: Partial<PlanRefreshInput> & Pick<PlanRefreshInput, 'attempt'>) {
    return planRefresh({
      issuer: issuerRecord(),
      keys: [],
      previousSnapshot: undefined,
      previousState: refreshState(),
      now: T0,
      graceSeconds: 3600,
      ...overrides,
    });
  }

  function usedKey(info: CertificateInfo): KeyRecord {
    return keyRecord(info, { state: 'active', lastUsedAt: at(-60) });
  }

  it('holds a replacement over http: a failed refresh with every key kept, the pending change set, one critical alert', () => {
    const keyA = usedKey(infoA);
    const fetched = attempt([certX]);
    const result = plan({ keys: [keyA], attempt: fetched });
    assert.equal(result.outcome, 'failure');
    assert.equal(result.error?.code, 'CG_META_KEYS_DISCONTINUOUS');
    const { application } = result;
    assert.deepEqual([application.addKeys, application.updateKeys, application.snapshot], [[], [], null]);
    assert.equal(application.refreshState.lastErrorCode, 'CG_META_KEYS_DISCONTINUOUS');
    assert.equal(application.pendingChange?.sha256, fetched.response.sha256);
    assert.equal(application.pendingChange?.decision, 'pending');
    assert.deepEqual(
      application.pendingChange?.keys.map((key) => [key.sha1, key.subject]),
      [[infoX.sha1, infoX.subject]],
    );
    assert.deepEqual(
      application.audit.map((entry) => entry.action),
      ['refresh.failed', 'change.held'],
    );
    assert.deepEqual(
      result.alerts.map((alert) => [alert.kind, alert.severity, alert.subject]),
      [['keys-discontinuous', 'critical', fetched.response.sha256]],
    );
    assert.deepEqual(result.alerts[0]!.detail['added'], [infoX.sha1]);
    assert.deepEqual(result.alerts[0]!.detail['removed'], [infoA.sha1]);
  });

  it('holds a replacement fetched over https when any hop on the way was plain http (a redirect to a URL of the answerer’s choosing)', () => {
    const keyA = usedKey(infoA);
    const direct = attempt([certX], HTTPS_URL);
    const httpsIssuer = issuerRecord({ metadataUrl: HTTPS_URL });
    assert.equal(
      plan({ issuer: httpsIssuer, keys: [keyA], attempt: direct }).outcome,
      'success',
      'https all the way: applied',
    );
    const redirected = {
      ...direct,
      response: { ...direct.response, redirects: ['http://idp.test/metadata.xml'] },
    };
    const held = plan({ issuer: httpsIssuer, keys: [keyA], attempt: redirected });
    assert.equal(held.error?.code, 'CG_META_KEYS_DISCONTINUOUS');
    // The configured URL counts too, even when the answer names no redirect.
    const configuredHttp = plan({
      issuer: issuerRecord({ metadataUrl: 'http://idp.test/metadata.xml' }),
      keys: [keyA],
      attempt: direct,
    });
    assert.equal(configuredHttp.error?.code, 'CG_META_KEYS_DISCONTINUOUS');
  });

  it('raises nothing new for a document already pending or rejected, and replaces one pending for another document', () => {
    const keyA = usedKey(infoA);
    const fetched = attempt([certX]);
    for (const decision of ['pending', 'rejected'] as const) {
      const result = plan({
        keys: [keyA],
        attempt: fetched,
        pendingChange: pending({ sha256: fetched.response.sha256, decision }),
      });
      assert.equal(result.error?.code, 'CG_META_KEYS_DISCONTINUOUS', decision);
      assert.equal(result.application.pendingChange, undefined, decision);
      assert.deepEqual(result.alerts, [], decision);
      assert.equal((result.error as ClaimsgateError).detail['decision'], decision);
    }
    const replaced = plan({
      keys: [keyA],
      attempt: fetched,
      pendingChange: pending({ decision: 'pending' }),
    });
    assert.equal(replaced.application.pendingChange?.sha256, fetched.response.sha256);
    assert.equal(replaced.alerts.length, 1);
  });

  it('applies a replacement over https with the alert, the replaced key retired at once and no pending change', () => {
    const keyA = usedKey(infoA);
    const result = plan({
      issuer: issuerRecord({ metadataUrl: HTTPS_URL }),
      keys: [keyA],
      attempt: attempt([certX], HTTPS_URL, certX),
    });
    assert.equal(result.outcome, 'success');
    assert.deepEqual(result.application.updateKeys, [{ keyId: keyA.id, state: 'retired' }]);
    assert.deepEqual(
      result.application.addKeys.map((key) => key.sha1),
      [infoX.sha1],
    );
    assert.equal(result.application.pendingChange, undefined);
    const alert = result.alerts.find((candidate) => candidate.kind === 'keys-discontinuous');
    assert.equal(alert?.detail['outcome'], 'applied');
    assert.equal(alert?.detail['reason'], 'unknown-signer-replacement');
  });

  it('applies the approved document, clearing the pending change with change.applied and retiring the replaced key at once', () => {
    const keyA = usedKey(infoA);
    const fetched = attempt([certB]);
    const result = plan({
      keys: [keyA],
      attempt: fetched,
      pendingChange: pending({ sha256: fetched.response.sha256 }),
    });
    assert.equal(result.outcome, 'success');
    assert.equal(result.application.pendingChange, null);
    assert.deepEqual(result.application.updateKeys, [{ keyId: keyA.id, state: 'retired' }]);
    assert.ok(result.application.audit.some((entry) => entry.action === 'change.applied'));
    assert.ok(!result.alerts.some((alert) => alert.kind === 'keys-discontinuous'));
  });

  it('withdraws a pending change when the endpoint serves a continuous document again, or answers 304', () => {
    const keyA = usedKey(infoA);
    const continuous = plan({
      keys: [keyA],
      attempt: attempt([certA]),
      pendingChange: pending({ decision: 'pending' }),
    });
    assert.equal(continuous.outcome, 'success');
    assert.equal(continuous.application.pendingChange, null);
    assert.ok(continuous.application.audit.some((entry) => entry.action === 'change.withdrawn'));

    const notModified = plan({
      keys: [keyA],
      pendingChange: pending({ decision: 'rejected' }),
      attempt: {
        status: 'not-modified',
        response: { status: 'not-modified', url: HTTP_URL, httpStatus: 304, fetchedAt: T0, redirects: [] },
      },
    });
    assert.equal(notModified.application.pendingChange, null);
    assert.ok(notModified.application.audit.some((entry) => entry.action === 'change.withdrawn'));
    const quiet = plan({ keys: [keyA], attempt: attempt([certA]) });
    assert.equal(quiet.application.pendingChange, undefined, 'no pending change: nothing to clear');
  });

  it('gives grace only to keys that signed tokens: an unused key leaving a continuous document retires at once', () => {
    const used = usedKey(infoA);
    const unused = keyRecord(infoB, { state: 'announced', lastUsedAt: null });
    const result = plan({ keys: [used, unused], attempt: attempt([certX], HTTP_URL, certA) });
    assert.equal(result.outcome, 'success');
    assert.deepEqual(
      result.application.updateKeys.filter((entry) => entry.state !== undefined),
      [
        { keyId: used.id, state: 'retiring' },
        { keyId: unused.id, state: 'retired' },
      ],
    );
    const retired = result.application.audit.find((entry) => entry.action === 'key.retired');
    assert.match(String((retired?.after as { why: string }).why), /without having signed a token/);
  });
});
