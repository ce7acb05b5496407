import { manualTimers } from '../helpers/manual-timers.js';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { parseCertificateDer } from '../../src/crypto/certificate.js';
import { thumbprintToX5t } from '../../src/crypto/thumbprint.js';
import { isClaimsgateError } from '../../src/lib/errors.js';
import type { LogEntry } from '../../src/rollover/structured-log.js';
import {
  createRolloverEngine,
  type RolloverEngine,
  type RolloverEngineOptions,
} from '../../src/rollover/rollover-engine.js';
import { openStore } from '../../src/store/open-store.js';
import type { IssuerRecord } from '../../src/store/model.js';
import type { Store } from '../../src/store/store.js';
import { createTokenValidator, type TokenValidator } from '../../src/tokens/create-token-validator.js';
import { createTestCertificate, type TestCertificate } from '../helpers/certificates.js';
import { readFixture } from '../helpers/fixtures.js';
import { buildFederationMetadata } from '../helpers/federation-metadata.js';
import { AUDIENCE, signJwt } from '../helpers/jwt.js';
import { startMetadataServer, type MetadataServer, type ServerMode } from '../helpers/metadata-server.js';

const ISSUER = 'https://idp.test/tenant-1/';
const START = new Date('2025-03-01T12:00:00.000Z');

let certA: TestCertificate;
let certB: TestCertificate;
let certC: TestCertificate;
let directory: string;

before(async () => {
  [certA, certB, certC] = await Promise.all([
    createTestCertificate({ commonName: 'signing A' }),
    createTestCertificate({ commonName: 'signing B' }),
    createTestCertificate({ commonName: 'signing C' }),
  ]);
  directory = mkdtempSync(join(tmpdir(), 'claimsgate-rollover-'));
});

after(() => rmSync(directory, { recursive: true, force: true }));

function sha1Of(cert: TestCertificate): string {
  return parseCertificateDer(cert.der).sha1;
}

function documentMode(certificates: readonly TestCertificate[], signedBy?: TestCertificate): ServerMode {
  return { kind: 'document', body: documentText(certificates, signedBy) };
}

function documentText(
  certificates: readonly TestCertificate[],
  signedBy?: TestCertificate,
  entityId = ISSUER,
) {
  return buildFederationMetadata({
    entityId,
    signingCertificates: certificates.map((cert) => cert.base64),
    ...(signedBy === undefined
      ? {}
      : { signer: { privateKey: signedBy.privateKey, certificatePem: signedBy.pem } }),
  });
}

/** A test bench: a metadata server, a SQLite store and an engine sharing one movable clock. */
interface Bench {
  readonly server: MetadataServer;
  readonly store: Store;
  readonly engine: RolloverEngine;
  readonly issuer: IssuerRecord;
  readonly validator: TokenValidator;
  readonly logs: LogEntry[];
  readonly clock: { now: Date };
  advance(seconds: number): void;
  token(cert: TestCertificate, x5t?: string): Promise<string>;
  close(): Promise<void>;
}

let benchCount = 0;

async function openBench(
  mode: ServerMode,
  options: {
    issuer?: Partial<Parameters<Store['createIssuer']>[0]>;
    engine?: Partial<RolloverEngineOptions>;
    server?: MetadataServer;
    storePath?: string;
    createIssuer?: boolean;
  } = {},
): Promise<Bench> {
  const clock = { now: START };
  const now = (): Date => clock.now;
  const server = options.server ?? (await startMetadataServer(mode));
  benchCount += 1;
  const store = await openStore(options.storePath ?? join(directory, `store-${benchCount}.db`), {
    now,
  });
  const issuer =
    options.createIssuer === false
      ? (await store.getIssuer('contoso'))!
      : await store.createIssuer(
          {
            name: 'contoso',
            issuerUri: ISSUER,
            metadataUrl: server.url,
            refreshIntervalSeconds: 3600,
            ...options.issuer,
          },
          'admin:test',
        );
  const logs: LogEntry[] = [];
  const engine = createRolloverEngine({
    store,
    now,
    random: () => 0.5,
    logger: (entry) => logs.push(entry),
    fetchTimeoutMs: 2000,
    ...options.engine,
  });
  const validator = createTokenValidator({
    trust: () => engine.snapshot(),
    onUnknownKey: (event) => engine.onUnknownKey(event),
    audiences: AUDIENCE,
    now,
    replayCache: false,
  });
  let jti = 0;
  return {
    server,
    store,
    engine,
    issuer,
    validator,
    logs,
    clock,
    advance(seconds) {
      clock.now = new Date(clock.now.getTime() + seconds * 1000);
    },
    async token(cert, x5t) {
      const seconds = Math.floor(clock.now.getTime() / 1000);
      jti += 1;
      return signJwt(
        cert.privateKey,
        'RS256',
        {
          iss: ISSUER,
          aud: AUDIENCE,
          sub: 'bob@contoso.com',
          iat: seconds - 10,
          nbf: seconds - 10,
          exp: seconds + 600,
          jti: `t${jti}`,
        },
        { x5t: x5t ?? thumbprintToX5t(sha1Of(cert)) },
      );
    },
    async close() {
      await engine.stop();
      await store.close();
      if (options.server === undefined) await server.close();
    },
  };
}

async function validates(bench: Bench, cert: TestCertificate): Promise<void> {
  const identity = await bench.validator.validate(await bench.token(cert));
  assert.equal(identity.signingKey.sha1, sha1Of(cert));
  await bench.engine.recordKeyUse(identity);
}

async function rejectsCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => isClaimsgateError(error) && error.code === code);
}

async function keyStates(bench: Bench): Promise<Record<string, string>> {
  const keys = await bench.store.listKeys(bench.issuer.id);
  return Object.fromEntries(keys.map((key) => [key.subject ?? key.sha1 ?? '?', key.state]));
}

describe('the rollover engine against a live metadata server and a SQLite store', () => {
  it('follows a whole rollover (announce, switch, retire) while every token validates, and audits it in order', async () => {
    const bench = await openBench(documentMode([certA], certA));
    try {
      await bench.engine.start();
      await validates(bench, certA);
      assert.deepEqual(await keyStates(bench), { 'CN=signing A': 'active' });

      // Announce and switch at once: the issuer publishes B and signs with it
      // before the scheduled refresh; the unknown key refreshes in the same request.
      bench.server.setMode(documentMode([certA, certB], certA));
      bench.advance(120);
      await validates(bench, certB);
      await validates(bench, certA);
      assert.deepEqual(await keyStates(bench), { 'CN=signing A': 'active', 'CN=signing B': 'active' });

      // Retire: A leaves the metadata; the scheduled refresh makes it retiring, still trusted.
      bench.server.setMode(documentMode([certB], certB));
      bench.advance(3600);
      assert.equal((await bench.engine.refreshIssuer('contoso', { reason: 'schedule' })).outcome, 'success');
      await validates(bench, certA);
      await validates(bench, certB);
      assert.equal((await keyStates(bench))['CN=signing A'], 'retiring');

      // The grace period passes: the next refresh (a 304) retires A.
      bench.advance(3601);
      assert.equal(
        (await bench.engine.refreshIssuer('contoso', { reason: 'schedule' })).outcome,
        'not-modified',
      );
      await validates(bench, certB);
      await rejectsCode(bench.validator.validate(await bench.token(certA)), 'CG_TRUST_KEY_UNKNOWN');
      assert.equal((await keyStates(bench))['CN=signing A'], 'retired');

      const story = (await bench.store.listAudit({ issuerId: bench.issuer.id }))
        .filter((entry) => entry.action.startsWith('key.'))
        .map(
          (entry) =>
            `${entry.action} ${entry.subject === sha1Of(certA) ? 'A' : entry.subject === sha1Of(certB) ? 'B' : '?'}`,
        );
      assert.deepEqual(story, [
        'key.added A',
        'key.activated A',
        'key.added B',
        'key.activated B',
        'key.retiring A',
        'key.retired A',
      ]);
      const alerts = (await bench.store.listAudit({ issuerId: bench.issuer.id }))
        .filter((entry) => entry.action.startsWith('alert.'))
        .map((entry) => entry.action);
      assert.ok(alerts.includes('alert.key-added'));
      assert.ok(alerts.includes('alert.signer-changed'));
      assert.ok(alerts.includes('alert.key-retired'));
    } finally {
      await bench.close();
    }
  });

  it('lets 1,000 tokens with unknown certificates cost one fetch per spacing window, each waiting for it', async () => {
    // An issuer alone may fill the waiting pool: the default 1,000 places let all of them wait.
    const bench = await openBench(documentMode([certA]));
    try {
      await bench.engine.start();
      const afterStart = bench.server.requests();
      bench.advance(61);
      const tokens = await Promise.all(
        Array.from({ length: 1000 }, () => bench.token(certA, randomBytes(20).toString('base64url'))),
      );
      const results = await Promise.allSettled(tokens.map((token) => bench.validator.validate(token)));
      assert.ok(
        results.every(
          (result) =>
            result.status === 'rejected' && isClaimsgateError(result.reason, 'CG_TRUST_KEY_UNKNOWN'),
        ),
      );
      assert.equal(bench.server.requests() - afterStart, 1);
      // One second into the 2 s spacing window: the next unknown token is not
      // refused at once; it waits for the trailing fetch, which begins when
      // the window ends.
      bench.advance(1);
      const waited = Date.now();
      await rejectsCode(bench.validator.validate(await bench.token(certC)), 'CG_TRUST_KEY_UNKNOWN');
      assert.ok(Date.now() - waited >= 900, 'the trailing fetch waits for the spacing window to end');
      assert.equal(bench.server.requests() - afterStart, 2);
      await validates(bench, certA);
      assert.equal(bench.server.requests() - afterStart, 2);
      const metrics = bench.engine.metrics();
      assert.equal(metrics.unknownKey.refreshes, 2);
      assert.equal(metrics.unknownKey.joined, 999);
      assert.equal(metrics.unknownKey.timedOut, 0);
    } finally {
      await bench.close();
    }
  });

  it('loads an issuer once per refresh that changed no key, and twice never; a change of keys is loaded', async () => {
    const bench = await openBench(documentMode([certA]));
    try {
      await bench.engine.start();
      await new Promise((resolve) => setTimeout(resolve, 200));
      const before = bench.engine.metrics().reloads;
      bench.advance(61);
      const listKeys = bench.store.listKeys.bind(bench.store);
      let keyReads = 0;
      bench.store.listKeys = (issuerId) => {
        keyReads += 1;
        return listKeys(issuerId);
      };
      assert.equal((await bench.engine.refreshIssuer('contoso', { force: true })).outcome, 'not-modified');
      assert.equal(
        keyReads,
        2,
        'the keys read for the plan and for the alerts; the load after reads the refresh state',
      );
      assert.equal(bench.engine.snapshot().findIssuer(ISSUER)?.lastRefresh?.outcome, 'not-modified');
      // Past the change debounce (50 ms): a second load of the issuer would have run by now.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(
        bench.engine.metrics().reloads - before,
        1,
        "the refresher's own load, not the change's too",
      );
      // A key changed by an administrator while no refresh runs is loaded through its change.
      const key = (await bench.store.listKeys(bench.issuer.id))[0]!;
      await bench.store.setKeyState(key.id, 'revoked', 'admin:test');
      await eventually(
        () => bench.engine.snapshot().keysBySha1(sha1Of(certA)).length === 0,
        'the revoked key leaves the trust',
      );
    } finally {
      await bench.close();
    }
  });

  it('follows a key switch a second after a scheduled refresh: the token waits for the next fetch instead of failing', async () => {
    const bench = await openBench(documentMode([certA], certA));
    try {
      await bench.engine.start();
      bench.advance(5);
      // A scheduled refresh sees only A; a second later the issuer publishes B (its metadata still
      // signed by A, as its key it is trusted with) and signs tokens with it.
      const scheduled = await bench.engine.refreshIssuer('contoso', { reason: 'schedule', force: true });
      assert.equal(scheduled.outcome, 'not-modified');
      bench.server.setMode(documentMode([certA, certB], certA));
      bench.advance(1);
      const before = bench.server.requests();
      await validates(bench, certB);
      assert.equal(bench.server.requests() - before, 1);
      const added = (await bench.store.listAudit({ issuerId: bench.issuer.id })).find(
        (entry) => entry.action === 'key.added' && entry.subject === sha1Of(certB),
      );
      assert.ok(added !== undefined, 'the key the unknown-key refresh found is audited');
    } finally {
      await bench.close();
    }
  });

  it('shares one fetch between concurrent refreshes of one issuer', async () => {
    const bench = await openBench(documentMode([certA]));
    try {
      await bench.engine.start();
      const before = bench.server.requests();
      const results = await Promise.all([
        bench.engine.refreshIssuer('contoso', { force: true }),
        bench.engine.refreshIssuer('contoso', { force: true }),
        bench.engine.refreshIssuer(bench.issuer.id, { force: true }),
      ]);
      assert.equal(bench.server.requests() - before, 1);
      assert.ok(results.every((result) => result.outcome === 'not-modified'));
    } finally {
      await bench.close();
    }
  });

  it('keeps the last-known-good through every kind of misbehaviour, alerts after N failures, and recovers', async () => {
    const good = documentText([certA, certB], certA);
    const bench = await openBench(
      { kind: 'document', body: good },
      {
        issuer: { signaturePolicy: { mode: 'pinned', pinnedSigners: [sha1Of(certA)] } },
        // The timeout is long enough to stream 5 MiB on a loaded machine, so the 50 MB body
        // is refused by its size, and short enough that the slow case passes it.
        engine: { fetchTimeoutMs: 2000, alertThresholds: { consecutiveFailures: 3 } },
      },
    );
    try {
      await bench.engine.start();
      await validates(bench, certA);
      const cases: Array<[string, ServerMode, string]> = [
        ['down', { kind: 'reset' }, 'CG_META_FETCH_FAILED'],
        ['500', { kind: 'status', status: 500 }, 'CG_META_HTTP_STATUS'],
        ['slow past the timeout', { kind: 'slow', delayMs: 5000, body: good }, 'CG_META_FETCH_TIMEOUT'],
        ['truncated in transit', { kind: 'truncated', body: good }, 'CG_META_FETCH_FAILED'],
        [
          'a truncated document',
          { kind: 'document', body: good.slice(0, good.length - 40) },
          'CG_XML_MALFORMED',
        ],
        ['not XML', { kind: 'document', body: 'Service Unavailable' }, 'CG_META_FORMAT_UNKNOWN'],
        ['an empty key list', documentMode([], certA), 'CG_META_NO_SIGNING_KEYS'],
        [
          'another entityID',
          { kind: 'document', body: documentText([certC], certA, 'https://evil.test/') },
          'CG_META_ENTITY_NOT_FOUND',
        ],
        ['a signer that is not pinned', documentMode([certC], certC), 'CG_META_SIGNER_NOT_PINNED'],
        [
          'a bad signature',
          { kind: 'document', body: good.replace('https://idp.test/wsfed', 'https://evil.test/wsfed') },
          'CG_META_SIGNATURE_INVALID',
        ],
        ['a 50 MB body', { kind: 'huge', megabytes: 50 }, 'CG_META_TOO_LARGE'],
      ];
      let failures = 0;
      for (const [name, mode, code] of cases) {
        bench.server.setMode(mode);
        bench.advance(61);
        const result = await bench.engine.refreshIssuer('contoso', { force: true });
        failures += 1;
        assert.equal(result.outcome, 'failure', name);
        assert.equal(result.code, code, name);
        const state = await bench.store.getRefreshState(bench.issuer.id);
        assert.equal(state?.consecutiveFailures, failures, name);
        assert.equal(state?.lastErrorCode, code, name);
        await validates(bench, certA);
        await validates(bench, certB);
        const refreshFailing = (await bench.store.listAudit({ issuerId: bench.issuer.id })).filter(
          (entry) => entry.action === 'alert.refresh-failing',
        );
        assert.equal(refreshFailing.length, failures >= 3 ? 1 : 0, name);
      }
      assert.deepEqual(Object.values(await keyStates(bench)).sort(), ['active', 'active']);
      const failed = (await bench.store.listAudit({ issuerId: bench.issuer.id })).filter(
        (entry) => entry.action === 'refresh.failed',
      );
      assert.deepEqual(
        failed.map((entry) => entry.refresh?.code),
        cases.map(([, , code]) => code),
      );

      bench.server.setMode({ kind: 'document', body: good });
      bench.advance(61);
      const recovered = await bench.engine.refreshIssuer('contoso', { force: true });
      assert.equal(recovered.outcome, 'not-modified');
      const state = await bench.store.getRefreshState(bench.issuer.id);
      assert.equal(state?.consecutiveFailures, 0);
      assert.ok(
        (await bench.store.listAudit({ issuerId: bench.issuer.id })).some(
          (entry) => entry.action === 'refresh.recovered',
        ),
      );
      await validates(bench, certA);
    } finally {
      await bench.close();
    }
  });

  it('starts from the persisted last-known-good when the metadata server is down after a restart', async () => {
    const path = join(directory, 'restart.db');
    const server = await startMetadataServer(documentMode([certA, certB], certA));
    const first = await openBench(documentMode([]), { server, storePath: path });
    await first.engine.start();
    await validates(first, certA);
    await first.close();
    await server.close();

    const down = await startMetadataServer({ kind: 'reset' });
    const second = await openBench(documentMode([]), { server: down, storePath: path, createIssuer: false });
    try {
      await second.engine.start();
      assert.ok((await second.store.getMetadataSnapshot(second.issuer.id)) !== undefined);
      const state = await second.store.getRefreshState(second.issuer.id);
      assert.equal(state?.lastOutcome, 'failure');
      assert.equal(state?.lastErrorCode, 'CG_META_FETCH_FAILED');
      await validates(second, certA);
      await validates(second, certB);
    } finally {
      await second.close();
      await down.close();
    }
  });

  it('posts alerts to the webhook, retrying a refused delivery', async () => {
    const server = await startMetadataServer(documentMode([certA]));
    server.failHooks(2);
    const bench = await openBench(documentMode([]), {
      server,
      engine: { webhook: { url: server.hookUrl, retryDelayMs: 5 } },
    });
    try {
      await bench.engine.start();
      await bench.engine.stop();
      const kinds = bench.server.hookBodies
        .map((body) => (body as { alert: { kind: string } }).alert.kind)
        .sort();
      assert.deepEqual(kinds, ['key-added', 'single-key']);
      const counters = bench.engine.metrics().alerts;
      assert.equal(counters.webhookDelivered, 2);
      assert.equal(counters.webhookRetries, 2);
      assert.equal(counters.webhookFailed, 0);
      assert.ok(bench.logs.some((entry) => entry.event === 'alert.single-key' && entry.level === 'warn'));
    } finally {
      await bench.close();
      await server.close();
    }
  });

  it('fires each alert once, across engine restarts on the same store', async () => {
    const path = join(directory, 'dedupe.db');
    const server = await startMetadataServer(documentMode([certA]));
    try {
      for (let run = 0; run < 2; run += 1) {
        const bench = await openBench(documentMode([]), { server, storePath: path, createIssuer: run === 0 });
        await bench.engine.start();
        await bench.engine.checkAlerts();
        await bench.close();
      }
      const store = await openStore(path);
      const singles = (await store.listAudit()).filter((entry) => entry.action === 'alert.single-key');
      await store.close();
      assert.equal(singles.length, 1);
    } finally {
      await server.close();
    }
  });

  it('gives a manual-only issuer alerts and never fetches for it', async () => {
    const bench = await openBench(documentMode([certA]), { issuer: { metadataUrl: null } });
    try {
      await bench.store.addKey(
        { issuerId: bench.issuer.id, sha1: sha1Of(certA), source: 'manual', certificateDer: certA.der },
        'admin:test',
      );
      await bench.engine.start();
      assert.equal(bench.server.requests(), 0);
      await validates(bench, certA);
      const result = await bench.engine.refreshIssuer('contoso');
      assert.equal(result.outcome, 'skipped');
      assert.equal(
        await bench.engine.onUnknownKey({
          issuer: ISSUER,
          sha1: sha1Of(certB),
          sha256: undefined,
          kid: undefined,
        }),
        undefined,
      );
      assert.equal(bench.server.requests(), 0);
      const alerts = (await bench.store.listAudit({ issuerId: bench.issuer.id })).map(
        (entry) => entry.action,
      );
      assert.ok(alerts.includes('alert.single-key'));
    } finally {
      await bench.close();
    }
  });

  it('rebuilds its trust when another writer revokes a key, and raises the revocation alert', async () => {
    const bench = await openBench(documentMode([certA, certB]), { engine: { changeDebounceMs: 5 } });
    try {
      await bench.engine.start();
      await validates(bench, certB);
      const keyB = (await bench.store.listKeys(bench.issuer.id)).find((key) => key.sha1 === sha1Of(certB))!;
      await bench.store.setKeyState(keyB.id, 'revoked', 'admin:test', 'compromised');
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(bench.engine.snapshot().keysBySha1(sha1Of(certB)), []);
      bench.advance(61);
      await rejectsCode(bench.validator.validate(await bench.token(certB)), 'CG_TRUST_KEY_UNKNOWN');
      assert.equal((await bench.store.getKey(keyB.id))?.state, 'revoked');
      await validates(bench, certA);
      const actions = (await bench.store.listAudit({ issuerId: bench.issuer.id })).map(
        (entry) => entry.action,
      );
      assert.ok(actions.includes('alert.key-revoked'));
    } finally {
      await bench.close();
    }
  });

  it('names an unknown issuer with CG_STORE_NOT_FOUND', async () => {
    const bench = await openBench(documentMode([certA]));
    try {
      await rejectsCode(bench.engine.refreshIssuer('nobody'), 'CG_STORE_NOT_FOUND');
    } finally {
      await bench.close();
    }
  });
});

describe('the rollover engine and expired certificates', () => {
  const DAY = 86_400;
  let shortLived: TestCertificate;

  before(async () => {
    shortLived = await createTestCertificate({
      commonName: 'short-lived',
      notAfter: new Date(START.getTime() + DAY * 1000),
    });
  });

  it('expires a key between two refreshes while its successor keeps validating', async () => {
    const bench = await openBench(documentMode([shortLived, certB]));
    try {
      await bench.engine.start();
      await validates(bench, shortLived);
      await validates(bench, certB);
      bench.advance(2 * DAY);
      const result = await bench.engine.refreshIssuer('contoso', { reason: 'schedule' });
      assert.equal(result.outcome, 'not-modified');
      assert.deepEqual(await keyStates(bench), { 'CN=short-lived': 'expired', 'CN=signing B': 'active' });
      // A refresh that expired a key loads the issuer's keys, not only its refresh state.
      assert.equal(
        bench.engine.snapshot().keysBySha1(sha1Of(shortLived)).length,
        0,
        'out of the trust at once',
      );
      await validates(bench, certB);
      // The unknown-key refresh the token causes finds the key still published: it stays expired.
      await rejectsCode(bench.validator.validate(await bench.token(shortLived)), 'CG_TRUST_KEY_UNKNOWN');
      assert.equal((await keyStates(bench))['CN=short-lived'], 'expired');
      const audit = await bench.store.listAudit({ issuerId: bench.issuer.id });
      const expired = audit.filter((entry) => entry.action === 'key.expired');
      assert.deepEqual(
        expired.map((entry) => [entry.actor, entry.subject]),
        [['rollover', sha1Of(shortLived)]],
      );
      assert.ok(audit.some((entry) => entry.action === 'alert.key-expired'));
    } finally {
      await bench.close();
    }
  });

  it('takes a manual key that expired out of the trust when the refresh that expired it returns', async () => {
    const bench = await openBench(documentMode([certB]));
    try {
      await bench.engine.start();
      await bench.store.addKey(
        { issuerId: bench.issuer.id, certificateDer: shortLived.der, source: 'manual' },
        'admin:test',
      );
      await eventually(
        () => bench.engine.snapshot().keysBySha1(sha1Of(shortLived)).length === 1,
        'the manual key is trusted',
      );
      bench.advance(2 * DAY);
      const result = await bench.engine.refreshIssuer('contoso', { force: true });
      // The document changed nothing: the refresh's alert check expired the manual key.
      assert.equal(result.outcome, 'not-modified');
      assert.equal((await keyStates(bench))['CN=short-lived'], 'expired');
      assert.equal(
        bench.engine.snapshot().keysBySha1(sha1Of(shortLived)).length,
        0,
        'out of the trust at once',
      );
      await validates(bench, certB);
    } finally {
      await bench.close();
    }
  });

  it("expires manual keys in its periodic check, but keeps an issuer's only key with a critical alert", async () => {
    const bench = await openBench(documentMode([]), { issuer: { metadataUrl: null } });
    try {
      const only = await bench.store.addKey(
        { issuerId: bench.issuer.id, source: 'manual', certificateDer: shortLived.der },
        'admin:test',
      );
      await bench.engine.start();
      bench.advance(2 * DAY);
      await bench.engine.checkAlerts();
      assert.equal((await bench.store.getKey(only.id))?.state, 'active');
      await validates(bench, shortLived);
      const kept = (await bench.store.listAudit({ issuerId: bench.issuer.id })).filter(
        (entry) => entry.action === 'alert.key-expired',
      );
      assert.equal(kept.length, 1);
      assert.equal((kept[0]!.after as { severity: string }).severity, 'critical');

      // A successor entered by hand lets the expired key go.
      await bench.store.addKey(
        { issuerId: bench.issuer.id, source: 'manual', certificateDer: certB.der },
        'admin:test',
      );
      await bench.engine.reload();
      await bench.engine.checkAlerts();
      assert.equal((await bench.store.getKey(only.id))?.state, 'expired');
      await validates(bench, certB);
      await rejectsCode(bench.validator.validate(await bench.token(shortLived)), 'CG_TRUST_KEY_UNKNOWN');
      const expired = (await bench.store.listAudit({ issuerId: bench.issuer.id })).find(
        (entry) => entry.action === 'key.expired',
      );
      assert.equal(expired?.actor, 'rollover');
    } finally {
      await bench.close();
    }
  });
});

async function eventually(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe("the rollover engine's schedule", () => {
  it('reschedules the next refresh at once when the refresh interval changes, through the store change feed', async () => {
    const timers = manualTimers();
    const bench = await openBench(documentMode([certA]), { engine: { timers, changeDebounceMs: 50 } });
    try {
      await bench.engine.start();
      const startedAt = bench.clock.now;
      assert.equal(bench.server.requests(), 1);
      const hourly = [...timers.armed].find(([, timer]) => timer.ms === 3_600_000);
      assert.ok(hourly, 'the first refresh arms the next one an interval later');

      bench.advance(20);
      await bench.store.updateIssuer(bench.issuer.id, { refreshIntervalSeconds: 120 }, 'admin:test');
      // The store says when the next refresh is due, for every instance and across restarts.
      assert.deepEqual(
        (await bench.store.getRefreshState(bench.issuer.id))?.nextAttemptAt,
        new Date(startedAt.getTime() + 120_000),
      );
      const debounce = [...timers.armed].find(([, timer]) => timer.ms === 50);
      assert.ok(debounce, 'the change notification schedules a reload');
      timers.fire(debounce[0]);
      await eventually(
        () => [...timers.armed.values()].some((timer) => timer.ms === 100_000),
        'the refresh re-armed 100 s ahead',
      );
      assert.equal(timers.armed.has(hourly[0]), false, 'the hourly timer is gone');

      bench.advance(100);
      const due = [...timers.armed].find(([, timer]) => timer.ms === 100_000)!;
      timers.fire(due[0]);
      await eventually(() => bench.server.requests() === 2, 'the rescheduled refresh');
      await eventually(
        async () =>
          (await bench.store.getRefreshState(bench.issuer.id))?.nextAttemptAt?.getTime() ===
          bench.clock.now.getTime() + 120_000,
        'the next refresh one new interval later',
      );
    } finally {
      await bench.close();
    }
  });
});

describe('the rollover engine and real metadata whose certificates have expired', () => {
  const ADFS = readFixture('metadata/adfs2016.federationmetadata.xml').toString('utf8');
  const ADFS_ISSUER = 'http://fs.msidlab11.com/adfs/services/trust';

  it('never makes an expired certificate the trust of an issuer without keys: the scheduled refresh fails, storing nothing', async () => {
    const bench = await openBench({ kind: 'document', body: ADFS }, { issuer: { issuerUri: ADFS_ISSUER } });
    try {
      await bench.engine.start();
      const state = await bench.store.getRefreshState(bench.issuer.id);
      assert.equal(state?.lastOutcome, 'failure');
      assert.equal(state.lastErrorCode, 'CG_META_SIGNING_KEYS_EXPIRED');
      assert.deepEqual(await bench.store.listKeys(bench.issuer.id), []);
      assert.equal(bench.engine.snapshot().keysForIssuer(ADFS_ISSUER).length, 0);
    } finally {
      await bench.close();
    }
  });

  it('trusts the same document at a clock inside its certificate validity', async () => {
    const bench = await openBench({ kind: 'document', body: ADFS }, { issuer: { issuerUri: ADFS_ISSUER } });
    bench.clock.now = new Date('2017-06-01T12:00:00Z');
    try {
      await bench.engine.start();
      assert.deepEqual(
        (await bench.store.listKeys(bench.issuer.id)).map((key) => [key.sha1, key.state]),
        [['D5FE73910389B58BBB3B0EBB87FDF110FF79FEBB', 'announced']],
      );
    } finally {
      await bench.close();
    }
  });
});

describe('the rollover engine and labels shared in a store written before labels were unique', () => {
  it('raises a critical label-shared alert for each issuer, once, naming the label and the issuers', async () => {
    const path = join(directory, `legacy-labels-${randomBytes(4).toString('hex')}.db`);
    const first = await openBench(documentMode([certA]), { storePath: path, issuer: { label: 'SIM' } });
    await first.store.createIssuer(
      { name: 'partner', issuerUri: 'https://partner.test/', label: 'PARTNER' },
      'admin:test',
    );
    await first.close();
    const raw = new BetterSqlite3(path);
    raw.prepare("UPDATE issuers SET label = 'sim' WHERE name = 'partner'").run();
    raw.close();

    const bench = await openBench(documentMode([certA]), { storePath: path, createIssuer: false });
    try {
      await bench.engine.start();
      const alerts = (await bench.store.listAudit()).filter((entry) => entry.action === 'alert.label-shared');
      assert.deepEqual(alerts.map((entry) => (entry.after as { severity: string }).severity).sort(), [
        'critical',
        'critical',
      ]);
      assert.deepEqual((alerts[0]!.after as { detail: { issuers: string[] } }).detail.issuers, [
        'contoso',
        'partner',
      ]);
      assert.equal(bench.engine.metrics().alerts.byKind['label-shared'], 2);
      await bench.engine.checkAlerts();
      assert.equal(
        (await bench.store.listAudit()).filter((entry) => entry.action === 'alert.label-shared').length,
        2,
        'fired once',
      );
    } finally {
      await bench.close();
    }
  });
});

describe('the rollover engine and claim mappings that no longer match', () => {
  const UPN = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn';
  const GROUPS = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups';
  // What an identity provider that renamed its claims sends: the values must never be stored or alerted.
  const RENAMED = {
    'http://schemas.example.test/claims/userprincipal': ['secret-value-alice@contoso.test'],
    'http://schemas.example.test/claims/memberof': ['secret-group-payroll'],
  };

  it('raises claim-missing once per claim and mapping version, by audit, metric and webhook, naming types only', async () => {
    const server = await startMetadataServer(documentMode([certA]));
    const bench = await openBench(documentMode([certA]), {
      server,
      engine: { webhook: { url: server.hookUrl, retryDelayMs: 5 } },
    });
    try {
      const mapping = await bench.store.createClaimMapping(
        { issuerId: bench.issuer.id, label: 'CONTOSO', nameClaim: UPN, groupClaim: GROUPS },
        'admin:test',
      );
      const fired = await bench.engine.recordAcceptedClaims(bench.issuer, mapping, RENAMED);
      assert.deepEqual(
        fired.map((alert) => [alert.kind, alert.severity, alert.subject]),
        [
          ['claim-missing', 'warning', UPN],
          ['claim-missing', 'warning', GROUPS],
        ],
      );
      assert.deepEqual(fired[0]!.detail['claimTypes'], Object.keys(RENAMED).sort());
      // The next sign-ins of the same episode fire nothing more.
      assert.deepEqual(await bench.engine.recordAcceptedClaims(bench.issuer, mapping, RENAMED), []);
      const audit = (await bench.store.listAudit({ issuerId: bench.issuer.id })).filter(
        (entry) => entry.action === 'alert.claim-missing',
      );
      assert.equal(audit.length, 2);
      assert.equal(bench.engine.metrics().alerts.byKind['claim-missing'], 2);
      await bench.engine.stop();
      assert.equal(server.hookBodies.length, 2);
      const everything = JSON.stringify([audit, server.hookBodies, bench.logs, fired]);
      assert.doesNotMatch(everything, /secret-value|secret-group/, 'claim values never leave the sign-in');
      assert.deepEqual(
        (await bench.store.getTokenClaimTypes(bench.issuer.id))?.claimTypes,
        Object.keys(RENAMED).sort(),
      );

      // A fixed mapping is a new episode: it matches, so nothing fires; breaking it again fires again.
      const fixed = await bench.store.updateClaimMapping(
        mapping.id,
        { nameClaim: 'http://schemas.example.test/claims/userprincipal', groupClaim: null },
        'admin:test',
      );
      await bench.engine.start();
      assert.deepEqual(await bench.engine.recordAcceptedClaims(bench.issuer, fixed, RENAMED), []);
      bench.advance(60);
      const broken = await bench.store.updateClaimMapping(mapping.id, { nameClaim: UPN }, 'admin:test');
      assert.deepEqual(
        (await bench.engine.recordAcceptedClaims(bench.issuer, broken, RENAMED)).map(
          (alert) => alert.subject,
        ),
        [UPN],
      );
    } finally {
      await bench.close();
      await server.close();
    }
  });

  it('writes the claim types of accepted tokens only when the set changes', async () => {
    const bench = await openBench(documentMode([certA]));
    let writes = 0;
    const counting = new Proxy(bench.store, {
      get(target, property, receiver) {
        if (property === 'recordTokenClaimTypes') {
          return (...args: Parameters<Store['recordTokenClaimTypes']>) => {
            writes += 1;
            return target.recordTokenClaimTypes(...args);
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const engine = createRolloverEngine({
      store: counting,
      now: () => bench.clock.now,
      logger: () => undefined,
    });
    try {
      for (let signIn = 0; signIn < 100; signIn += 1)
        await engine.recordAcceptedClaims(bench.issuer, undefined, { [UPN]: [`user${signIn}@contoso.test`] });
      assert.equal(writes, 1);
      await engine.recordAcceptedClaims(bench.issuer, undefined, { [UPN]: ['bob'], [GROUPS]: ['g'] });
      assert.equal(writes, 2);
      assert.deepEqual((await bench.store.getTokenClaimTypes(bench.issuer.id))?.claimTypes, [GROUPS, UPN]);
    } finally {
      await engine.stop();
      await bench.close();
    }
  });
});

describe('the rollover engine during a metadata outage', () => {
  it('keeps a retiring key trusted past its grace until the next good refresh, then retires it', async () => {
    const bench = await openBench(documentMode([certA, certB]));
    try {
      await bench.engine.start();
      await validates(bench, certA);
      // A leaves the metadata: retiring, trusted for the grace period (3,600 s).
      bench.server.setMode(documentMode([certB]));
      bench.advance(60);
      assert.equal((await bench.engine.refreshIssuer('contoso', { force: true })).outcome, 'success');
      assert.equal((await keyStates(bench))['CN=signing A'], 'retiring');

      // The metadata endpoint goes down and stays down past A's grace.
      bench.server.setMode({ kind: 'status', status: 503 });
      bench.advance(2 * 3600);
      const failed = await bench.engine.refreshIssuer('contoso', { force: true });
      assert.equal(failed.outcome, 'failure');
      await bench.engine.checkAlerts();
      // The safe choice: a failed refresh proves nothing about A, so it stays trusted.
      assert.equal((await keyStates(bench))['CN=signing A'], 'retiring');
      await validates(bench, certA);

      // The first good refresh (here a 304: the document did not change) retires it.
      bench.server.setMode(documentMode([certB]));
      bench.advance(60);
      assert.equal((await bench.engine.refreshIssuer('contoso', { force: true })).outcome, 'not-modified');
      assert.equal((await keyStates(bench))['CN=signing A'], 'retired');
      await rejectsCode(bench.validator.validate(await bench.token(certA)), 'CG_TRUST_KEY_UNKNOWN');
      await validates(bench, certB);
    } finally {
      await bench.close();
    }
  });
});

describe("the rollover engine's start", () => {
  /** A store with `count` issuers whose metadata an injected fetch serves, holding each answer until released. */
  async function manyIssuers(count: number, keyless: readonly number[] = []) {
    const store = await openStore(join(directory, `start-${benchCount++}.db`), { now: () => START });
    for (let index = 0; index < count; index += 1) {
      await store.createIssuer(
        {
          name: `tenant-${index}`,
          issuerUri: `https://idp.test/tenant-${index}/`,
          metadataUrl: `https://idp.test/tenant-${index}/metadata.xml`,
          refreshIntervalSeconds: 3600,
        },
        'admin:test',
      );
    }
    // Every issuer but the key-less ones already holds a key (a last-known-good one).
    for (const issuer of await store.listIssuers()) {
      if (keyless.includes(Number(issuer.name.slice('tenant-'.length)))) continue;
      await store.addKey(
        { issuerId: issuer.id, certificateDer: certA.der, source: 'manual', state: 'active' },
        'admin:test',
      );
    }
    let inFlight = 0;
    let most = 0;
    const order: string[] = [];
    const held: (() => void)[] = [];
    const fetch = async (input: string | URL | Request): Promise<Response> => {
      const url = String(input instanceof Request ? input.url : input);
      order.push(url);
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise<void>((resolve) => held.push(resolve));
      inFlight -= 1;
      const tenant = /tenant-\d+/.exec(url)![0];
      return new Response(documentText([certA], undefined, `https://idp.test/${tenant}/`), {
        headers: { 'content-type': 'application/samlmetadata+xml' },
      });
    };
    const release = (): number => {
      const waiting = held.splice(0);
      for (const resolve of waiting) resolve();
      return waiting.length;
    };
    /** An engine over this farm's store and fetch, at START, silent; `options` add to or replace those. */
    const engineOver = (options: Partial<RolloverEngineOptions> = {}) =>
      createRolloverEngine({
        store,
        fetch,
        now: () => START,
        logger: () => undefined,
        allowHttp: true,
        ...options,
      });
    return { store, fetch, release, order, most: () => most, inFlight: () => inFlight, engine: engineOver };
  }

  it('returns after startWaitMs with the start refreshes still running, a bounded number at a time, key-less issuers first', async () => {
    const farm = await manyIssuers(12, [7, 10]);
    const engine = farm.engine({
      startRefreshConcurrency: 3,
      startWaitMs: 100,
    });
    try {
      const started = performance.now();
      await engine.start();
      assert.ok(performance.now() - started < 5_000, 'start() did not wait for the held fetches');
      // Trust is usable at once, from the keys in the store.
      assert.equal(engine.snapshot().keysBySha1(sha1Of(certA)).length, 10);
      assert.equal(farm.inFlight(), 3, 'three start refreshes at a time');
      assert.deepEqual(
        farm.order
          .slice(0, 2)
          .map((url) => /tenant-\d+/.exec(url)![0])
          .sort(),
        ['tenant-10', 'tenant-7'],
        'the issuers without a usable key go first',
      );
      // The rest go on in the background, never more than three at once.
      for (let round = 0; round < 20 && farm.order.length < 12; round += 1) {
        farm.release();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      while (farm.release() > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(farm.order.length, 12, 'every issuer was refreshed once');
      assert.equal(farm.most(), 3);
      await eventually(
        () => engine.snapshot().keysBySha1(sha1Of(certA)).length === 12,
        'the key-less issuers trust their published key',
      );
    } finally {
      farm.release();
      await engine.stop();
      await farm.store.close();
    }
  });

  it("keeps the bound while the start refreshes outlast the scheduler's first timers, and fetches each issuer once", async () => {
    // Every issuer is due at start (none refreshed yet): the scheduler arms each one's timer for
    // a second later. Start refreshes still running then must not be joined by scheduled ones
    // beyond the bound, nor fetched again by start after the schedule refreshed them.
    const farm = await manyIssuers(12);
    const engine = farm.engine({
      startRefreshConcurrency: 3,
      startWaitMs: 50,
    });
    try {
      await engine.start();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      assert.equal(farm.inFlight(), 3, 'no more than three refreshes at once while start is refreshing');
      while (farm.release() > 0) await new Promise((resolve) => setTimeout(resolve, 50));
      await new Promise((resolve) => setTimeout(resolve, 200));
      while (farm.release() > 0) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(farm.order.length, 12, 'each issuer fetched once');
      assert.equal(farm.most(), 3);
    } finally {
      farm.release();
      await engine.stop();
      await farm.store.close();
    }
  });

  it("leaves to an administrator's refresh made during start the issuer it fetched: one fetch, not two", async () => {
    const farm = await manyIssuers(6);
    let clock = START.getTime();
    const engine = farm.engine({
      // A clock that moves: the forced refresh is attempted after the start began.
      now: () => new Date((clock += 1)),
      startRefreshConcurrency: 1,
      startWaitMs: 0,
    });
    try {
      await engine.start();
      await eventually(() => farm.inFlight() === 1, 'the first start refresh');
      const forced = engine.refreshIssuer('tenant-4', { force: true });
      await eventually(() => farm.inFlight() === 2, "the administrator's refresh, not queued behind start");
      farm.release();
      assert.equal((await forced).outcome, 'success');
      for (let round = 0; round < 100 && farm.order.length < 6; round += 1) {
        farm.release();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      farm.release();
      const fetched = farm.order.map((url) => /tenant-\d+/.exec(url)![0]);
      assert.deepEqual(
        fetched.filter((tenant) => tenant === 'tenant-4'),
        ['tenant-4'],
        'the start refresh of tenant-4 found it fetched since the start began',
      );
      assert.equal(fetched.length, 6, 'every issuer fetched once');
    } finally {
      farm.release();
      await engine.stop();
      await farm.store.close();
    }
  });

  it('ends a refresh of all that the engine stops under with the abandoned issuers skipped, not an uncoded error', async () => {
    const farm = await manyIssuers(4);
    // Metadata that never comes: each fetch ends only when the engine's stop aborts it.
    const fetch = (_input: string | URL | Request, init?: RequestInit): Promise<Response> =>
      new Promise((_resolve, reject) => {
        const signal = init?.signal;
        if (signal?.aborted === true) reject(signal.reason as Error);
        signal?.addEventListener('abort', () => reject(signal.reason as Error));
      });
    const engine = farm.engine({
      fetch,
      startWaitMs: 0,
    });
    try {
      await engine.start();
      const refreshing = engine.refreshAll({ concurrency: 2 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await engine.stop();
      const results = await refreshing;
      assert.equal(results.length, 4);
      assert.deepEqual(
        results.map((result) => result.outcome),
        ['skipped', 'skipped', 'skipped', 'skipped'],
      );
    } finally {
      await engine.stop();
      await farm.store.close();
    }
  });

  it('refreshes all issuers a bounded number at a time, each once, with a failure counted and the rest done', async () => {
    const farm = await manyIssuers(9);
    const manual = await farm.store.createIssuer(
      { name: 'by-hand', issuerUri: 'https://by-hand.test/' },
      'admin:test',
    );
    const fetch = async (input: string | URL | Request): Promise<Response> => {
      const url = String(input instanceof Request ? input.url : input);
      if (url.includes('tenant-3/')) return new Response('unavailable', { status: 503 });
      return farm.fetch(input);
    };
    const engine = farm.engine({
      fetch,
      startRefreshConcurrency: 1,
      startWaitMs: 0,
    });
    try {
      await engine.start();
      // Let the start refreshes end first: this test counts the forced ones.
      for (let round = 0; round < 100 && farm.order.length < 8; round += 1) {
        farm.release();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      while (farm.release() > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      const before = farm.order.length;
      const refreshing = engine.refreshAll({ concurrency: 3 });
      await eventually(
        () => farm.inFlight() === 3,
        `three refreshes at once (${farm.inFlight()}, ${farm.order.length - before})`,
      );
      let settled = false;
      void refreshing.finally(() => (settled = true));
      for (let round = 0; round < 200 && !settled; round += 1) {
        farm.release();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const results = await refreshing;
      assert.equal(farm.order.length - before, 8, 'each issuer fetched once');
      assert.equal(farm.most(), 3, 'never more than three at once');
      assert.equal(results.length, 9, 'one result per issuer with a metadata URL');
      assert.ok(
        !results.some((result) => result.issuerId === manual.id),
        'an issuer without one is left out',
      );
      const failed = results.filter((result) => result.outcome === 'failure');
      assert.equal(failed.length, 1);
      assert.equal(failed[0]!.code, 'CG_META_HTTP_STATUS');
      assert.equal(
        results.filter((result) => result.outcome === 'success' || result.outcome === 'not-modified').length,
        8,
      );
      await assert.rejects(engine.refreshAll({ concurrency: 0 }), /concurrency/);
      await assert.rejects(engine.refreshAll({ concurrency: 65 }), /concurrency/);
    } finally {
      farm.release();
      await engine.stop();
      await farm.store.close();
    }
  });

  it('arms no reconcile timer when stopped during its start', async () => {
    const farm = await manyIssuers(2);
    const timers = manualTimers();
    const engine = farm.engine({
      timers,
      startRefreshConcurrency: 1,
      reconcileIntervalMs: 12_345,
    });
    try {
      const starting = engine.start();
      await eventually(() => farm.inFlight() === 1, 'the first start refresh');
      const stopping = engine.stop();
      while (farm.release() > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      await stopping;
      await starting;
      const reconciles = [...timers.armed.values()].filter((timer) => timer.ms === 12_345);
      assert.equal(reconciles.length, 0, 'a stopped engine keeps no reconcile loop');
    } finally {
      farm.release();
      await engine.stop();
      await farm.store.close();
    }
  });

  it('checks alerts every 30 s on the records loaded, and reads the store whole only at its reconcile', async () => {
    let clock = START;
    const store = await openStore(join(directory, `start-${benchCount++}.db`), { now: () => clock });
    const timers = manualTimers();
    const engine = createRolloverEngine({
      store,
      now: () => clock,
      timers,
      logger: () => undefined,
      alertThresholds: { expiryDays: [7] },
    });
    try {
      const issuer = await store.createIssuer(
        { name: 'manual', issuerUri: 'https://manual.test/' },
        'admin:test',
      );
      const certificate = await createTestCertificate({
        notBefore: new Date(START.getTime() - 86_400_000),
        notAfter: new Date(START.getTime() + 10 * 86_400_000),
      });
      await store.addKey(
        { issuerId: issuer.id, certificateDer: certificate.der, source: 'manual', state: 'active' },
        'admin:test',
      );
      await engine.start();
      const loads = engine.metrics().reloads;
      assert.equal(engine.metrics().alerts.byKind['key-expiring'] ?? 0, 0, 'ten days left: no alert yet');
      // Four days later the key is within the 7-day threshold: only time passed, nothing changed in the store.
      clock = new Date(START.getTime() + 4 * 86_400_000);
      const checks = [...timers.armed.entries()].filter(([, timer]) => timer.ms === 30_000);
      assert.equal(checks.length, 1, 'one alert check armed');
      assert.ok(
        [...timers.armed.values()].some((timer) => timer.ms === 300_000),
        'the full reconcile is armed, every 5 minutes by default',
      );
      timers.fire(checks[0]![0]);
      await eventually(
        () => (engine.metrics().alerts.byKind['key-expiring'] ?? 0) === 1,
        'the key-expiring alert',
      );
      assert.equal(engine.metrics().reloads, loads, 'no read of the store was needed');
      await eventually(
        () => [...timers.armed.values()].some((timer) => timer.ms === 30_000),
        'the next alert check',
      );
    } finally {
      await engine.stop();
      await store.close();
    }
    assert.equal(
      [...timers.armed.values()].filter((timer) => timer.ms === 30_000 || timer.ms === 300_000).length,
      0,
      'stop clears both loops',
    );
  });

  it('refuses a start concurrency that is not a whole number from 1 to 256', async () => {
    const store = await openStore(join(directory, `start-${benchCount++}.db`), { now: () => START });
    try {
      for (const bad of [0, 1.5, 257]) {
        assert.throws(
          () => createRolloverEngine({ store, startRefreshConcurrency: bad }),
          /startRefreshConcurrency/,
        );
      }
      assert.throws(() => createRolloverEngine({ store, startWaitMs: -1 }), /startWaitMs/);
    } finally {
      await store.close();
    }
  });
});
