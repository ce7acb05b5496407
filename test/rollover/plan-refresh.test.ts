import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { parseCertificateDer, type CertificateInfo } from '../../src/crypto/certificate.js';
import type { MetadataFetched } from '../../src/metadata/process-metadata-response.js';
import type { IssuerRecord, KeyRecord, MetadataSnapshotRecord } from '../../src/store/model.js';
import { readOidcSnapshot } from '../../src/rollover/oidc-snapshot.js';
import { planRefresh, type PlanRefreshInput, type RefreshAttempt } from '../../src/rollover/plan-refresh.js';
import { parseFetchedDocument } from '../../src/rollover/run-refresh.js';
import { createTestCertificate, type TestCertificate } from '../helpers/certificates.js';
import { buildFederationMetadata, type FederationMetadataOptions } from '../helpers/federation-metadata.js';
import { discoveryText, jwksText, kidOf } from '../helpers/oidc-documents.js';
import { at, issuerRecord, keyRecord, refreshState, T0 } from '../helpers/rollover-records.js';

const URL = 'http://127.0.0.1:1/metadata.xml';

let certA: TestCertificate;
let certB: TestCertificate;
let certC: TestCertificate;
let infoA: CertificateInfo;
let infoB: CertificateInfo;
let infoC: CertificateInfo;

before(async () => {
  [certA, certB, certC] = await Promise.all([
    createTestCertificate({ commonName: 'key A' }),
    createTestCertificate({ commonName: 'key B' }),
    createTestCertificate({ commonName: 'key C' }),
  ]);
  [infoA, infoB, infoC] = [certA, certB, certC].map((cert) => parseCertificateDer(cert.der)) as [
    CertificateInfo,
    CertificateInfo,
    CertificateInfo,
  ];
});

function fetchedAttempt(body: string | Buffer, issuer: IssuerRecord = issuerRecord()): RefreshAttempt {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const response: MetadataFetched = {
    status: 'ok',
    body: bytes,
    url: URL,
    httpStatus: 200,
    etag: '"v2"',
    sha256: createHash('sha256').update(bytes).digest('hex'),
    fetchedAt: T0,
    redirects: [],
  };
  return { status: 'fetched', response, parsed: parseFetchedDocument(issuer, bytes) };
}

function documentWith(
  certificates: readonly TestCertificate[],
  options: Partial<FederationMetadataOptions> & { signedBy?: TestCertificate } = {},
): string {
  return buildFederationMetadata({
    entityId: 'https://idp.test/tenant-1/',
    signingCertificates: certificates.map((cert) => cert.base64),
    ...(options.signedBy === undefined
      ? {}
      : { signer: { privateKey: options.signedBy.privateKey, certificatePem: options.signedBy.pem } }),
    ...options,
  });
}

function plan(overrides: Partial<PlanRefreshInput> & Pick<PlanRefreshInput, 'attempt'>) {
  return planRefresh({
    issuer: issuerRecord(),
    keys: [],
    previousSnapshot: undefined,
    previousState: undefined,
    now: T0,
    graceSeconds: 3600,
    ...overrides,
  });
}

function update(result: ReturnType<typeof plan>, key: KeyRecord) {
  return result.application.updateKeys.find((entry) => entry.keyId === key.id);
}

function snapshotRecord(overrides: Partial<MetadataSnapshotRecord> = {}): MetadataSnapshotRecord {
  return {
    issuerId: 'iss-1',
    url: URL,
    fetchedAt: at(-3600),
    etag: '"v1"',
    lastModified: null,
    sha256: 'previous',
    document: Buffer.from('<previous/>'),
    signerSha1: null,
    ...overrides,
  };
}

describe('planRefresh on a usable document', () => {
  it('adds newly published keys as announced, records the document and schedules the next refresh', () => {
    const result = plan({ attempt: fetchedAttempt(documentWith([certA, certB])), intervalJitter: 0.1 });
    assert.equal(result.outcome, 'success');
    assert.deepEqual(
      result.application.addKeys.map((key) => [key.sha1, key.state, key.source]),
      [
        [infoA.sha1, 'announced', 'metadata'],
        [infoB.sha1, 'announced', 'metadata'],
      ],
    );
    assert.deepEqual(result.application.addKeys[0]!.certificateDer, certA.der);
    assert.deepEqual(
      result.application.audit.map((entry) => [entry.action, entry.subject]),
      [
        ['metadata.updated', URL],
        ['key.added', infoA.sha1],
        ['key.added', infoB.sha1],
      ],
    );
    assert.deepEqual(
      result.alerts.map((alert) => [alert.kind, alert.subject]),
      [
        ['key-added', infoA.sha1],
        ['key-added', infoB.sha1],
      ],
    );
    const snapshot = result.application.snapshot!;
    assert.equal(snapshot.url, URL);
    assert.equal(snapshot.etag, '"v2"');
    assert.equal(snapshot.signerSha1, null);
    const state = result.application.refreshState;
    assert.equal(state.consecutiveFailures, 0);
    assert.equal(state.lastOutcome, 'success');
    assert.deepEqual(state.lastSuccessAt, T0);
    assert.deepEqual(state.nextAttemptAt, at(3960));
  });

  it('marks keys published again as seen without changing their state', () => {
    const keyA = keyRecord(infoA, { state: 'active' });
    const keyB = keyRecord(infoB, { state: 'announced' });
    const result = plan({ keys: [keyA, keyB], attempt: fetchedAttempt(documentWith([certA, certB])) });
    assert.deepEqual(result.application.addKeys, []);
    assert.deepEqual(update(result, keyA), { keyId: keyA.id, lastSeenInMetadataAt: T0 });
    assert.deepEqual(update(result, keyB), { keyId: keyB.id, lastSeenInMetadataAt: T0 });
    assert.deepEqual(
      result.application.audit.map((entry) => entry.action),
      ['metadata.updated'],
    );
    assert.deepEqual(result.alerts, []);
  });

  it('makes a used key that left the metadata retiring, still trusted for the grace period', () => {
    const keyA = keyRecord(infoA, { state: 'active', lastUsedAt: at(-60) });
    // Signed by A: the issuer announces and switches to B in one document, continuous with its trust.
    const result = plan({
      keys: [keyA],
      attempt: fetchedAttempt(documentWith([certB], { signedBy: certA })),
    });
    assert.deepEqual(update(result, keyA), { keyId: keyA.id, state: 'retiring' });
    const entry = result.application.audit.find((candidate) => candidate.action === 'key.retiring');
    assert.equal(entry?.subject, infoA.sha1);
    assert.deepEqual(entry?.before, { state: 'active' });
    assert.deepEqual(
      result.alerts.map((alert) => alert.kind),
      ['key-retiring', 'key-added'],
    );
  });

  it('retires a key that left the metadata at once when the grace period is 0', () => {
    const keyA = keyRecord(infoA, { state: 'active', lastUsedAt: at(-60) });
    const result = plan({
      keys: [keyA],
      graceSeconds: 0,
      attempt: fetchedAttempt(documentWith([certB], { signedBy: certA })),
    });
    assert.deepEqual(update(result, keyA), { keyId: keyA.id, state: 'retired' });
    assert.ok(result.application.audit.some((entry) => entry.action === 'key.retired'));
  });

  it('retires a retiring key once the grace period has passed, not before', () => {
    const old = keyRecord(infoA, { state: 'retiring', stateChangedAt: at(-3600), lastUsedAt: at(-4000) });
    const recent = keyRecord(infoC, { state: 'retiring', stateChangedAt: at(-3599), lastUsedAt: at(-4000) });
    const result = plan({
      keys: [old, recent],
      attempt: fetchedAttempt(documentWith([certB], { signedBy: certC })),
    });
    assert.deepEqual(update(result, old), { keyId: old.id, state: 'retired' });
    assert.equal(update(result, recent), undefined);
    assert.deepEqual(
      result.alerts.filter((alert) => alert.kind === 'key-retired').map((alert) => alert.subject),
      [infoA.sha1],
    );
  });

  it('restores a retiring key that reappears: active when it was used, announced when not', () => {
    const used = keyRecord(infoA, { state: 'retiring', lastUsedAt: at(-7200) });
    const unused = keyRecord(infoB, { state: 'retired' });
    const result = plan({ keys: [used, unused], attempt: fetchedAttempt(documentWith([certA, certB])) });
    assert.deepEqual(update(result, used), { keyId: used.id, state: 'active', lastSeenInMetadataAt: T0 });
    assert.deepEqual(update(result, unused), {
      keyId: unused.id,
      state: 'announced',
      lastSeenInMetadataAt: T0,
    });
    assert.deepEqual(
      result.application.audit
        .filter((entry) => entry.action === 'key.restored')
        .map((entry) => entry.subject),
      [infoA.sha1, infoB.sha1],
    );
    assert.deepEqual(result.application.addKeys, []);
  });

  it('never revives a revoked key, whether it was revoked as a metadata key or as a manual one', () => {
    const revokedMetadata = keyRecord(infoA, { state: 'revoked' });
    const revokedManual = keyRecord(infoB, { state: 'revoked', source: 'manual', certificateDer: null });
    const active = keyRecord(infoC, { state: 'active' });
    const result = plan({
      keys: [revokedMetadata, revokedManual, active],
      attempt: fetchedAttempt(documentWith([certA, certB, certC])),
    });
    assert.deepEqual(result.application.addKeys, []);
    assert.equal(update(result, revokedMetadata)?.state, undefined);
    assert.equal(update(result, revokedManual), undefined);
  });

  it('leaves manual keys untouched, published or not', () => {
    const manual = keyRecord(infoC, { source: 'manual', state: 'active', lastSeenInMetadataAt: null });
    const result = plan({ keys: [manual], attempt: fetchedAttempt(documentWith([certA])) });
    assert.equal(update(result, manual), undefined);
    assert.ok(!result.application.audit.some((entry) => entry.subject === infoC.sha1));
  });

  it('adds no metadata copy of a key an administrator already trusts by hand', () => {
    const manual = keyRecord(undefined, { sha1: infoA.sha1, source: 'manual', lastSeenInMetadataAt: null });
    const result = plan({ keys: [manual], attempt: fetchedAttempt(documentWith([certA, certB])) });
    assert.deepEqual(
      result.application.addKeys.map((key) => key.sha1),
      [infoB.sha1],
    );
    assert.equal(update(result, manual), undefined);
  });

  it('never leaves the issuer without a usable key: the newest retiring key is kept and an alert raised', () => {
    const keyA = keyRecord(infoA, { state: 'active', lastSeenInMetadataAt: at(-60) });
    const keyC = keyRecord(infoC, {
      state: 'retiring',
      stateChangedAt: at(-7200),
      lastSeenInMetadataAt: at(-9000),
    });
    const revokedB = keyRecord(infoB, { state: 'revoked' });
    const result = plan({
      keys: [keyA, keyC, revokedB],
      graceSeconds: 0,
      attempt: fetchedAttempt(documentWith([certB], { signedBy: certA })),
    });
    assert.deepEqual(update(result, keyA), { keyId: keyA.id, state: 'retiring' });
    assert.deepEqual(update(result, keyC), { keyId: keyC.id, state: 'retired' });
    const kept = result.alerts.find((alert) => alert.kind === 'last-key-kept');
    assert.equal(kept?.subject, infoA.sha1);
    assert.equal(kept?.severity, 'critical');
  });

  it('raises an alert when the metadata signer changed since the last-known-good document', () => {
    const result = plan({
      keys: [keyRecord(infoA), keyRecord(infoB)],
      previousSnapshot: snapshotRecord({ signerSha1: infoA.sha1 }),
      attempt: fetchedAttempt(documentWith([certA, certB], { signedBy: certB })),
    });
    assert.equal(result.outcome, 'success');
    assert.equal(result.application.snapshot?.signerSha1, infoB.sha1);
    const alert = result.alerts.find((candidate) => candidate.kind === 'signer-changed');
    assert.equal(alert?.subject, infoB.sha1);
    assert.deepEqual(alert?.detail, { before: infoA.sha1, after: infoB.sha1 });
  });

  it('raises no signer alert when the signer is the same', () => {
    const result = plan({
      keys: [keyRecord(infoA)],
      previousSnapshot: snapshotRecord({ signerSha1: infoA.sha1 }),
      attempt: fetchedAttempt(documentWith([certA], { signedBy: certA })),
    });
    assert.ok(!result.alerts.some((alert) => alert.kind === 'signer-changed'));
  });

  it('accepts a template issuer whose document spells the placeholder {tenant}', () => {
    const issuer = issuerRecord({ issuerUri: 'https://sts.windows.net/{tenantid}/', allowedTenants: ['t1'] });
    const body = buildFederationMetadata({
      entityId: 'https://sts.windows.net/{tenant}/',
      signingCertificates: [certA.base64],
    });
    const result = plan({ issuer, attempt: fetchedAttempt(body, issuer) });
    assert.equal(result.outcome, 'success');
    assert.equal(result.application.addKeys.length, 1);
  });

  it('records the recovery after a failure streak', () => {
    const result = plan({
      keys: [keyRecord(infoA)],
      previousState: refreshState({ consecutiveFailures: 4, lastOutcome: 'failure' }),
      attempt: fetchedAttempt(documentWith([certA])),
    });
    assert.equal(result.application.refreshState.consecutiveFailures, 0);
    assert.ok(result.application.audit.some((entry) => entry.action === 'refresh.recovered'));
  });
});

describe('planRefresh on a 304 Not Modified', () => {
  it('changes nothing but the seen times and the refresh state', () => {
    const keyA = keyRecord(infoA, { state: 'active' });
    const keyB = keyRecord(infoB, { state: 'retiring', stateChangedAt: at(-60), lastUsedAt: at(-120) });
    const result = plan({
      keys: [keyA, keyB],
      previousSnapshot: snapshotRecord(),
      previousState: refreshState(),
      attempt: {
        status: 'not-modified',
        response: {
          status: 'not-modified',
          url: URL,
          httpStatus: 304,
          etag: '"v1"',
          fetchedAt: T0,
          redirects: [],
        },
      },
    });
    assert.equal(result.outcome, 'not-modified');
    assert.equal(result.application.snapshot, null);
    assert.deepEqual(result.application.addKeys, []);
    assert.deepEqual(result.application.updateKeys, [{ keyId: keyA.id, lastSeenInMetadataAt: T0 }]);
    assert.deepEqual(result.application.audit, []);
    assert.equal(result.application.refreshState.lastOutcome, 'not-modified');
    assert.deepEqual(result.application.refreshState.lastSuccessAt, T0);
  });

  it('lets grace periods run out, keeping the last usable key', () => {
    const keyB = keyRecord(infoB, { state: 'retiring', stateChangedAt: at(-7200) });
    const result = plan({
      keys: [keyB],
      previousSnapshot: snapshotRecord(),
      attempt: {
        status: 'not-modified',
        response: { status: 'not-modified', url: URL, httpStatus: 304, fetchedAt: T0, redirects: [] },
      },
    });
    assert.equal(update(result, keyB), undefined);
    assert.ok(result.alerts.some((alert) => alert.kind === 'last-key-kept'));
  });
});

describe('planRefresh on an unusable document or a failed fetch', () => {
  const cases: Array<{
    name: string;
    code: string;
    build: () => { attempt: RefreshAttempt; issuer?: IssuerRecord };
  }> = [
    {
      name: 'a connection failure',
      code: 'CG_META_FETCH_FAILED',
      build: () => ({
        attempt: { status: 'failed', url: URL, error: { code: 'CG_META_FETCH_FAILED', message: 'refused' } },
      }),
    },
    {
      name: 'an HTTP 500',
      code: 'CG_META_HTTP_STATUS',
      build: () => ({
        attempt: {
          status: 'failed',
          url: URL,
          error: { code: 'CG_META_HTTP_STATUS', message: '500' },
          httpStatus: 500,
        },
      }),
    },
    {
      name: 'a document that is not XML',
      code: 'CG_META_FORMAT_UNKNOWN',
      build: () => ({ attempt: fetchedAttempt('hello') }),
    },
    {
      name: 'a truncated document',
      code: 'CG_XML_MALFORMED',
      build: () => ({ attempt: fetchedAttempt(documentWith([certA]).slice(0, 400)) }),
    },
    {
      name: 'an empty key list',
      code: 'CG_META_NO_SIGNING_KEYS',
      build: () => ({ attempt: fetchedAttempt(documentWith([])) }),
    },
    {
      name: 'another entityID',
      code: 'CG_META_ENTITY_NOT_FOUND',
      build: () => ({
        attempt: fetchedAttempt(
          buildFederationMetadata({ entityId: 'https://evil.test/', signingCertificates: [certA.base64] }),
        ),
      }),
    },
    {
      name: 'a signature that does not verify',
      code: 'CG_META_SIGNATURE_INVALID',
      build: () => ({
        attempt: fetchedAttempt(
          documentWith([certA], { signedBy: certA }).replace(
            'https://idp.test/wsfed',
            'https://evil.test/wsfed',
          ),
        ),
      }),
    },
    {
      name: 'a signer that is not pinned',
      code: 'CG_META_SIGNER_NOT_PINNED',
      build: () => ({
        issuer: issuerRecord({ signaturePolicy: { mode: 'pinned', pinnedSigners: [infoC.sha1] } }),
        attempt: fetchedAttempt(documentWith([certA], { signedBy: certA })),
      }),
    },
    {
      name: 'an unsigned document under a pinned policy',
      code: 'CG_META_SIGNATURE_MISSING',
      build: () => ({
        issuer: issuerRecord({ signaturePolicy: { mode: 'pinned', pinnedSigners: [infoC.sha1] } }),
        attempt: fetchedAttempt(documentWith([certA])),
      }),
    },
    {
      name: 'a document past its validUntil',
      code: 'CG_META_EXPIRED',
      build: () => ({
        attempt: fetchedAttempt(documentWith([certA], { validUntil: '2025-03-01T11:59:59Z' })),
      }),
    },
  ];

  for (const testCase of cases) {
    it(`keeps the keys as they are and records ${testCase.code} for ${testCase.name}`, () => {
      const keyA = keyRecord(infoA, { state: 'active' });
      const built = testCase.build();
      const result = plan({
        keys: [keyA],
        attempt: built.attempt,
        ...(built.issuer === undefined ? {} : { issuer: built.issuer }),
        previousState: refreshState({ consecutiveFailures: 2, lastSuccessAt: at(-7200) }),
      });
      assert.equal(result.outcome, 'failure');
      assert.equal(result.error?.code, testCase.code);
      const application = result.application;
      assert.deepEqual(application.addKeys, []);
      assert.deepEqual(application.updateKeys, []);
      assert.equal(application.snapshot, null);
      assert.equal(application.refreshState.consecutiveFailures, 3);
      assert.equal(application.refreshState.lastErrorCode, testCase.code);
      assert.deepEqual(application.refreshState.lastSuccessAt, at(-7200));
      assert.deepEqual(application.refreshState.nextAttemptAt, at(120));
      assert.equal(application.audit.length, 1);
      assert.equal(application.audit[0]!.action, 'refresh.failed');
      assert.equal(application.audit[0]!.refresh?.outcome, 'failure');
      assert.equal(application.audit[0]!.refresh?.code, testCase.code);
    });
  }

  it('backs off exponentially, capped at the refresh interval', () => {
    const delays = [0, 1, 2, 3, 10].map((failures) => {
      const result = plan({
        previousState: refreshState({ consecutiveFailures: failures }),
        attempt: { status: 'failed', url: URL, error: { code: 'CG_META_FETCH_TIMEOUT', message: 'slow' } },
      });
      return (result.application.refreshState.nextAttemptAt!.getTime() - T0.getTime()) / 1000;
    });
    assert.deepEqual(delays, [30, 60, 120, 240, 3600]);
  });

  it('records the HTTP status in the refresh facts', () => {
    const result = plan({
      attempt: {
        status: 'failed',
        url: URL,
        error: { code: 'CG_META_HTTP_STATUS', message: '500' },
        httpStatus: 500,
      },
    });
    assert.equal(result.application.audit[0]!.refresh?.httpStatus, 500);
  });
});

describe('planRefresh and expired certificates', () => {
  let expiredCert: TestCertificate;

  before(async () => {
    expiredCert = await createTestCertificate({
      commonName: 'expired',
      notBefore: at(-400 * 86_400),
      notAfter: at(-86_400),
    });
  });

  it('expires a key whose certificate has expired while its successor is published, as rollover', () => {
    const keyA = keyRecord(infoA, { state: 'active', notAfter: at(-60) });
    const keyB = keyRecord(infoB, { state: 'announced' });
    const manual = keyRecord(infoC, { source: 'manual', notAfter: at(-60), lastSeenInMetadataAt: null });
    const result = plan({
      keys: [keyA, keyB, manual],
      attempt: fetchedAttempt(documentWith([certA, certB])),
    });
    assert.deepEqual(update(result, keyA), { keyId: keyA.id, state: 'expired', lastSeenInMetadataAt: T0 });
    assert.deepEqual(update(result, keyB), { keyId: keyB.id, lastSeenInMetadataAt: T0 });
    assert.equal(update(result, manual), undefined);
    const entry = result.application.audit.find((candidate) => candidate.action === 'key.expired');
    assert.deepEqual(
      [entry?.actor, entry?.subject, entry?.before],
      ['rollover', infoA.sha1, { state: 'active' }],
    );
    assert.deepEqual(
      result.alerts.map((alert) => [alert.kind, alert.severity, alert.subject]),
      [['key-expired', 'info', infoA.sha1]],
    );
  });

  it('keeps the only usable key when its certificate has expired, and says so critically', () => {
    const keyA = keyRecord(infoA, { state: 'active', notAfter: at(-60) });
    const result = plan({ keys: [keyA], attempt: fetchedAttempt(documentWith([certA])) });
    assert.deepEqual(update(result, keyA), { keyId: keyA.id, lastSeenInMetadataAt: T0 });
    assert.ok(!result.application.audit.some((entry) => entry.action === 'key.expired'));
    assert.deepEqual(
      result.alerts.map((alert) => [alert.kind, alert.severity]),
      [['key-expired', 'critical']],
    );
  });

  it('prefers keeping a retired key whose certificate is valid over an expired one', () => {
    const retiring = keyRecord(infoB, { state: 'retiring', stateChangedAt: at(-7200) });
    const expiring = keyRecord(infoA, { state: 'active', notAfter: at(-60) });
    const result = plan({ keys: [retiring, expiring], attempt: fetchedAttempt(documentWith([certA])) });
    assert.equal(update(result, retiring), undefined);
    assert.equal(update(result, expiring)?.state, 'expired');
    assert.ok(result.alerts.some((alert) => alert.kind === 'last-key-kept'));
  });

  it('never revives an expired key that the metadata still publishes', () => {
    const keyA = keyRecord(infoA, { state: 'expired' });
    const keyB = keyRecord(infoB, { state: 'active' });
    const result = plan({ keys: [keyA, keyB], attempt: fetchedAttempt(documentWith([certA, certB])) });
    assert.deepEqual(update(result, keyA), { keyId: keyA.id, lastSeenInMetadataAt: T0 });
    assert.deepEqual(result.application.addKeys, []);
  });

  it('records a newly published certificate that has already expired as expired, without trusting it', () => {
    const keyB = keyRecord(infoB, { state: 'active' });
    const result = plan({ keys: [keyB], attempt: fetchedAttempt(documentWith([expiredCert, certB])) });
    assert.deepEqual(
      result.application.addKeys.map((key) => key.state),
      ['expired'],
    );
    assert.ok(!result.alerts.some((alert) => alert.kind === 'key-added'));
    const added = result.application.audit.find((entry) => entry.action === 'key.added');
    assert.equal((added?.after as { state: string }).state, 'expired');
  });

  it('refuses a document whose every key has expired when the issuer has no usable key, storing nothing', () => {
    const revoked = keyRecord(infoB, { state: 'revoked' });
    const result = plan({
      keys: [revoked],
      attempt: fetchedAttempt(documentWith([expiredCert])),
    });
    assert.equal(result.outcome, 'failure');
    assert.equal(result.error?.code, 'CG_META_SIGNING_KEYS_EXPIRED');
    const detail = (result.error as { detail?: { observed?: unknown } }).detail;
    assert.deepEqual(detail?.observed, [
      {
        key: parseCertificateDer(expiredCert.der).sha1,
        subject: 'CN=expired',
        notAfter: at(-86_400).toISOString(),
      },
    ]);
    assert.deepEqual(result.application.addKeys, []);
    assert.deepEqual(result.application.updateKeys, []);
    assert.equal(result.application.snapshot, null);
    assert.equal(result.application.refreshState.lastErrorCode, 'CG_META_SIGNING_KEYS_EXPIRED');
    assert.ok(!result.alerts.some((alert) => alert.kind === 'key-expired'));
  });

  it('refuses an OpenID Connect key set whose every certificate has expired, for an issuer without usable keys', () => {
    const ISSUER = 'https://login.test/tenant-1/v2.0';
    const DISCOVERY_URL = 'http://127.0.0.1:1/tenant-1/v2.0/.well-known/openid-configuration';
    const JWKS_URL = 'http://127.0.0.1:1/tenant-1/discovery/v2.0/keys';
    const oidcIssuer = issuerRecord({ issuerUri: ISSUER, metadataUrl: DISCOVERY_URL, protocols: ['oidc'] });
    const fetched = (url: string, body: string): MetadataFetched => ({
      status: 'ok',
      body: Buffer.from(body),
      url,
      httpStatus: 200,
      sha256: createHash('sha256').update(body).digest('hex'),
      fetchedAt: T0,
      redirects: [],
    });
    const discovery = fetched(DISCOVERY_URL, discoveryText(ISSUER, JWKS_URL));
    const keySet = fetched(JWKS_URL, jwksText([expiredCert]));
    const result = plan({
      issuer: oidcIssuer,
      attempt: {
        status: 'fetched',
        response: discovery,
        parsed: parseFetchedDocument(oidcIssuer, discovery.body),
        keySet: {
          status: 'fetched',
          response: keySet,
          parsed: parseFetchedDocument(oidcIssuer, keySet.body),
        },
      },
    });
    assert.equal(result.error?.code, 'CG_META_SIGNING_KEYS_EXPIRED');
    assert.deepEqual(result.application.addKeys, []);
  });

  it('stores every expired certificate as expired when a valid one is published beside them', () => {
    const result = plan({ attempt: fetchedAttempt(documentWith([expiredCert, certB])) });
    assert.equal(result.outcome, 'success');
    assert.deepEqual(
      result.application.addKeys.map((key) => [key.subject, key.state]),
      [
        ['CN=expired', 'expired'],
        ['CN=key B', 'announced'],
      ],
    );
  });

  it('keeps an issuer that still trusts an expired key on the latest-expiring one, as before', () => {
    const keyA = keyRecord(infoA, { state: 'active', notAfter: at(-30 * 86_400) });
    const result = plan({
      // The document replaces every key: key continuity would hold it under `auto` (see key-continuity.test.ts).
      issuer: issuerRecord({ discontinuityPolicy: 'accept-with-alert' }),
      keys: [keyA],
      attempt: fetchedAttempt(documentWith([expiredCert])),
    });
    assert.equal(result.outcome, 'success');
    // The newly published certificate expired later than the kept one: it takes its place, trusted, and the operator is told.
    assert.deepEqual(
      result.application.addKeys.map((key) => key.state),
      ['announced'],
    );
    // No longer trusted: a discontinuity applied retires the replaced keys at once (else `expired`).
    assert.equal(update(result, keyA)?.state, 'retired');
    assert.ok(result.alerts.some((alert) => alert.kind === 'key-expired' && alert.severity === 'critical'));
    assert.ok(result.alerts.some((alert) => alert.kind === 'keys-discontinuous'));
  });

  it('expires keys on a 304 as well', () => {
    const keyA = keyRecord(infoA, { state: 'active', notAfter: at(-60) });
    const keyB = keyRecord(infoB, { state: 'active' });
    const result = plan({
      keys: [keyA, keyB],
      previousSnapshot: snapshotRecord(),
      attempt: {
        status: 'not-modified',
        response: { status: 'not-modified', url: URL, httpStatus: 304, fetchedAt: T0, redirects: [] },
      },
    });
    assert.equal(update(result, keyA)?.state, 'expired');
  });
});

describe('planRefresh on an OpenID Connect discovery document', () => {
  const DISCOVERY_URL = 'http://127.0.0.1:1/tenant-1/v2.0/.well-known/openid-configuration';
  const JWKS_URL = 'http://127.0.0.1:1/tenant-1/discovery/v2.0/keys';
  const ISSUER = 'https://login.test/tenant-1/v2.0';
  const oidcIssuer = issuerRecord({ issuerUri: ISSUER, metadataUrl: DISCOVERY_URL, protocols: ['oidc'] });

  function response(url: string, body: string, etag: string): MetadataFetched {
    const bytes = Buffer.from(body);
    return {
      status: 'ok',
      body: bytes,
      url,
      httpStatus: 200,
      etag,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      fetchedAt: T0,
      redirects: [],
    };
  }

  function fetchedJson(url: string, body: string, issuer: IssuerRecord = oidcIssuer) {
    const fetched = response(url, body, `"${url.length}-${body.length}"`);
    return {
      status: 'fetched' as const,
      response: fetched,
      parsed: parseFetchedDocument(issuer, fetched.body),
    };
  }

  function notModified(url: string) {
    return {
      status: 'not-modified' as const,
      response: {
        status: 'not-modified' as const,
        url,
        httpStatus: 304 as const,
        fetchedAt: T0,
        redirects: [],
      },
    };
  }

  function oidcPlan(attempt: RefreshAttempt, overrides: Partial<PlanRefreshInput> = {}) {
    return plan({ issuer: oidcIssuer, attempt, ...overrides });
  }

  it('takes the keys from the key set, with kid and per-key issuer, and stores both documents', () => {
    const result = oidcPlan({
      ...fetchedJson(DISCOVERY_URL, discoveryText(ISSUER, JWKS_URL)),
      keySet: fetchedJson(JWKS_URL, jwksText([certA, certB], ISSUER)),
    });
    assert.equal(result.outcome, 'success');
    assert.deepEqual(
      result.application.addKeys.map((key) => [key.kid, key.sha1, key.jwk?.['issuer']]),
      [
        [kidOf(certA), infoA.sha1, ISSUER],
        [kidOf(certB), infoB.sha1, ISSUER],
      ],
    );
    const snapshot = result.application.snapshot!;
    assert.equal(snapshot.url, DISCOVERY_URL);
    const stored = readOidcSnapshot(snapshot);
    assert.equal(stored?.keySet.url, JWKS_URL);
    assert.equal(stored?.discovery.body, discoveryText(ISSUER, JWKS_URL));
    const updated = result.application.audit[0]!;
    assert.equal(updated.action, 'metadata.updated');
    assert.equal(updated.refresh?.url, DISCOVERY_URL);
    assert.deepEqual((updated.after as { keySet: unknown }).keySet, {
      url: JWKS_URL,
      httpStatus: 200,
      etag: `"${JWKS_URL.length}-${jwksText([certA, certB], ISSUER).length}"`,
      sha256: stored?.keySet.sha256,
      outcome: 'success',
      code: null,
    });
  });

  it("compares a template issuer as a template, as in Entra ID's common discovery document", () => {
    const template = 'https://login.microsoftonline.com/{tenantid}/v2.0';
    const issuer = issuerRecord({ issuerUri: template, metadataUrl: DISCOVERY_URL, allowedTenants: ['t1'] });
    const result = plan({
      issuer,
      attempt: {
        ...fetchedJson(DISCOVERY_URL, discoveryText(template, JWKS_URL), issuer),
        keySet: fetchedJson(JWKS_URL, jwksText([certA], template), issuer),
      },
    });
    assert.equal(result.outcome, 'success');
    assert.equal(result.application.addKeys[0]?.jwk?.['issuer'], template);
  });

  it('follows a key rollover in the key set when the discovery document answers 304', () => {
    const first = oidcPlan({
      ...fetchedJson(DISCOVERY_URL, discoveryText(ISSUER, JWKS_URL)),
      keySet: fetchedJson(JWKS_URL, jwksText([certA], ISSUER)),
    });
    const keyA = keyRecord(infoA, { kid: kidOf(certA), state: 'active', lastUsedAt: at(-60) });
    // Announced: the key set publishes B beside A.
    const announced = oidcPlan(
      { ...notModified(DISCOVERY_URL), keySet: fetchedJson(JWKS_URL, jwksText([certA, certB], ISSUER)) },
      { keys: [keyA], previousSnapshot: first.application.snapshot! },
    );
    assert.equal(announced.outcome, 'success');
    assert.deepEqual(
      announced.application.addKeys.map((key) => key.sha1),
      [infoB.sha1],
    );
    const previousSnapshot = announced.application.snapshot!;
    const stored = readOidcSnapshot(previousSnapshot);
    assert.equal(stored?.discovery.body, discoveryText(ISSUER, JWKS_URL));
    assert.equal(stored?.keySet.body, jwksText([certA, certB], ISSUER));
    assert.equal(announced.application.audit[0]?.refresh?.httpStatus, 304);

    // Retired: A leaves the key set and starts its grace period.
    const keyB = keyRecord(infoB, { kid: kidOf(certB), state: 'active', lastUsedAt: at(-30) });
    const rolled = oidcPlan(
      { ...notModified(DISCOVERY_URL), keySet: fetchedJson(JWKS_URL, jwksText([certB], ISSUER)) },
      { keys: [keyA, keyB], previousSnapshot },
    );
    assert.equal(rolled.outcome, 'success');
    assert.equal(update(rolled, keyA)?.state, 'retiring');
    assert.equal(readOidcSnapshot(rolled.application.snapshot!)?.keySet.body, jwksText([certB], ISSUER));

    const unchanged = oidcPlan(
      { ...notModified(DISCOVERY_URL), keySet: notModified(JWKS_URL) },
      { keys: [keyA], previousSnapshot },
    );
    assert.equal(unchanged.outcome, 'not-modified');
    assert.equal(unchanged.application.snapshot, null);
    assert.deepEqual(unchanged.application.updateKeys, [{ keyId: keyA.id, lastSeenInMetadataAt: T0 }]);
  });

  const failures: Array<[string, string, () => RefreshAttempt]> = [
    [
      'a discovery document whose key set was not fetched',
      'CG_META_NO_SIGNING_KEYS',
      () => fetchedJson(DISCOVERY_URL, discoveryText(ISSUER, JWKS_URL)),
    ],
    [
      'a key set that could not be fetched',
      'CG_META_HTTP_STATUS',
      () => ({
        ...fetchedJson(DISCOVERY_URL, discoveryText(ISSUER, JWKS_URL)),
        keySet: {
          status: 'failed',
          url: JWKS_URL,
          error: { code: 'CG_META_HTTP_STATUS', message: '503' },
          httpStatus: 503,
        },
      }),
    ],
    [
      'a jwks_uri answering with another discovery document',
      'CG_META_FORMAT_UNKNOWN',
      () => ({
        ...fetchedJson(DISCOVERY_URL, discoveryText(ISSUER, JWKS_URL)),
        keySet: fetchedJson(JWKS_URL, discoveryText(ISSUER, JWKS_URL)),
      }),
    ],
    [
      'an empty key set',
      'CG_META_NO_SIGNING_KEYS',
      () => ({
        ...fetchedJson(DISCOVERY_URL, discoveryText(ISSUER, JWKS_URL)),
        keySet: fetchedJson(JWKS_URL, '{"keys":[]}'),
      }),
    ],
    [
      'a discovery document of another issuer',
      'CG_META_ENTITY_NOT_FOUND',
      () => ({
        ...fetchedJson(DISCOVERY_URL, discoveryText('https://evil.test/v2.0', JWKS_URL)),
        keySet: fetchedJson(JWKS_URL, jwksText([certC], ISSUER)),
      }),
    ],
  ];

  for (const [name, code, build] of failures) {
    it(`keeps the keys and records ${code} for ${name}`, () => {
      const keyA = keyRecord(infoA, { kid: kidOf(certA), state: 'active' });
      const result = oidcPlan(build(), { keys: [keyA] });
      assert.equal(result.outcome, 'failure');
      assert.equal(result.error?.code, code);
      assert.deepEqual(result.application.addKeys, []);
      assert.deepEqual(result.application.updateKeys, []);
      assert.equal(result.application.snapshot, null);
      const entry = result.application.audit[0]!;
      assert.equal(entry.refresh?.code, code);
      assert.equal(entry.refresh?.url, DISCOVERY_URL);
    });
  }

  it('records the failed key set request in the failure entry', () => {
    const result = oidcPlan(failures[1]![2]());
    const keySet = (result.application.audit[0]!.after as { keySet: { url: string; httpStatus: number } })
      .keySet;
    assert.deepEqual([keySet.url, keySet.httpStatus], [JWKS_URL, 503]);
  });
});
