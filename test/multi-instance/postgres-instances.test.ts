/**
 * Several claimsgate instances, as real processes, sharing one PostgreSQL
 * schema: changes propagate through LISTEN/NOTIFY, one instance refreshes an
 * issuer at a time, replay IDs are shared, and an instance killed with
 * SIGKILL in the middle of a refresh leaves the store as it was.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import pg from 'pg';

import { parseCertificateDer } from '../../src/crypto/certificate.js';
import { thumbprintToX5t } from '../../src/crypto/thumbprint.js';
import { createTestCertificate, type TestCertificate } from '../helpers/certificates.js';
import { postgresGate } from '../helpers/postgres.js';
import { describeWithService } from '../helpers/service-gate.js';
import { buildFederationMetadata } from '../helpers/federation-metadata.js';
import { AUDIENCE, signJwt } from '../helpers/jwt.js';
import type { SnapshotView } from './instance.js';
import { InstanceError, killAllInstances, type Instance } from './instance-process.js';
import {
  DATABASE_URL,
  dropSchemas,
  pause,
  refreshRecords,
  RUN,
  sessionsOf,
  startCluster,
  untilTrue,
  withAdmin,
  type Cluster,
} from './postgres-cluster.js';

const ISSUER = 'https://idp.test/multi-instance/';
/** The propagation bound the issue sets. */
const PROPAGATION_MS = 2000;
/** Reconciliation effectively off: far longer than any test. */
const NO_RECONCILE_MS = 600_000;
const TEST_TIMEOUT_MS = 30_000;

const postgres = await postgresGate();

let certA: TestCertificate;
let certB: TestCertificate;
let certC: TestCertificate;

function sha1Of(cert: TestCertificate): string {
  return parseCertificateDer(cert.der).sha1;
}

function documentOf(certificates: readonly TestCertificate[]): string {
  return buildFederationMetadata({
    entityId: ISSUER,
    signingCertificates: certificates.map((cert) => cert.base64),
  });
}

/** A cluster whose issuer publishes key A. */
function start(
  names: readonly string[],
  reconcileIntervalMs: number,
  fetchTimeoutMs?: number,
): Promise<Cluster> {
  return startCluster({
    names,
    reconcileIntervalMs,
    issuerUri: ISSUER,
    document: documentOf([certA]),
    ...(fetchTimeoutMs === undefined ? {} : { fetchTimeoutMs }),
  });
}

/** The thumbprints of usable keys, sorted, as the snapshot op reports them. */
function thumbprints(...certificates: TestCertificate[]): string[] {
  return certificates.map(sha1Of).sort();
}

function issuerView(view: SnapshotView) {
  const issuer = view.issuers[ISSUER];
  assert.ok(issuer !== undefined, `the snapshot has the issuer ${ISSUER}`);
  return issuer;
}

/**
 * Polls each instance's snapshot every 50 ms until `predicate` holds and
 * returns, per instance, the milliseconds from `since` until it did. Polls up
 * to twice the bound so that a slow propagation is reported with its time.
 */
async function timesUntil(
  instances: readonly Instance[],
  since: number,
  predicate: (view: SnapshotView) => boolean,
): Promise<number[]> {
  return Promise.all(
    instances.map(async (instance) => {
      for (;;) {
        const view = await instance.request<SnapshotView>({ op: 'snapshot' });
        const elapsed = performance.now() - since;
        if (predicate(view)) return elapsed;
        if (elapsed > 2 * PROPAGATION_MS) return Infinity;
        await pause(50);
      }
    }),
  );
}

async function assertPropagated(
  instances: readonly Instance[],
  since: number,
  predicate: (view: SnapshotView) => boolean,
  what: string,
): Promise<void> {
  const times = await timesUntil(instances, since, predicate);
  for (const [index, elapsed] of times.entries()) {
    assert.ok(
      elapsed < PROPAGATION_MS,
      `${what} reached ${instances[index]!.name} in ${elapsed.toFixed(0)} ms, not within ${PROPAGATION_MS} ms`,
    );
  }
}

/**
 * After `victim` was killed mid-refresh: nothing of its refresh is stored,
 * its sessions (and so its advisory lock) are gone, the survivor's trust is
 * intact, and the survivor refreshes at once with a fetch that gets through
 * and stores the whole story.
 */
async function assertRecoveredFromKill(
  cluster: Cluster,
  victim: Instance,
  survivor: Instance,
  before: Awaited<ReturnType<typeof refreshRecords>>,
): Promise<void> {
  await untilTrue(
    async () => (await sessionsOf(cluster.applicationName(victim))) === 0,
    3000,
    `the sessions of the killed ${victim.name} end, releasing its advisory lock`,
  );
  assert.deepEqual(await refreshRecords(cluster), before, 'the store is exactly as before the refresh');
  assert.deepEqual(
    issuerView(await survivor.request<SnapshotView>({ op: 'snapshot' })).keys,
    thumbprints(certA),
    "the survivor's trust is intact",
  );

  cluster.server.setMode({ kind: 'document', body: documentOf([certA, certB]) });
  const requests = cluster.server.requests();
  const result = await survivor.request<{ outcome: string }>({
    op: 'refresh',
    issuer: 'contoso',
    force: true,
  });
  assert.equal(result.outcome, 'success', 'no lock is left held: the survivor refreshes at once');
  assert.equal(cluster.server.requests(), requests + 1, "the survivor's fetch went through");
  assert.deepEqual(
    issuerView(await survivor.request<SnapshotView>({ op: 'snapshot' })).keys,
    thumbprints(certA, certB),
  );
  const after = await refreshRecords(cluster);
  assert.deepEqual(
    after.audit.slice(before.audit.length).map((entry) => `${entry.action} ${entry.subject ?? ''}`),
    [`metadata.updated ${cluster.server.url}`, `key.added ${sha1Of(certB)}`],
    "the audit log holds the survivor's whole refresh story and nothing of the killed one",
  );
}

describeWithService('claimsgate instances on one PostgreSQL database', postgres, () => {
  describe('claimsgate instances on one PostgreSQL database', () => {
    before(async () => {
      [certA, certB, certC] = await Promise.all([
        createTestCertificate({ commonName: 'signing A' }),
        createTestCertificate({ commonName: 'signing B' }),
        createTestCertificate({ commonName: 'signing C' }),
      ]);
    });

    after(async () => {
      killAllInstances();
      await dropSchemas();
    });

    it(
      "brings a refresh's new key, a revocation and admin edits made in one instance to the others' trust within 2 s, without reconciliation",
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const cluster = await start(['A', 'B', 'C'], NO_RECONCILE_MS);
        try {
          const [a, b, c] = cluster.instances as [Instance, Instance, Instance];
          const others = [b, c];
          await cluster.settle();
          await assertPropagated(
            cluster.instances,
            performance.now(),
            (view) => issuerView(view).keys.join() === thumbprints(certA).join(),
            'the first refresh',
          );

          // A key found by a refresh in A, after the metadata changed.
          cluster.server.setMode({ kind: 'document', body: documentOf([certA, certB]) });
          const requests = cluster.server.requests();
          let since = performance.now();
          const refreshed = await a.request<{ outcome: string }>({
            op: 'refresh',
            issuer: 'contoso',
            force: true,
          });
          assert.equal(refreshed.outcome, 'success');
          await assertPropagated(
            others,
            since,
            (view) => issuerView(view).keys.join() === thumbprints(certA, certB).join(),
            'the key found by the refresh',
          );
          assert.equal(cluster.server.requests(), requests + 1, 'B and C learned of it without fetching');

          // A revocation.
          since = performance.now();
          await a.request({ op: 'revoke', sha1: sha1Of(certB) });
          await assertPropagated(
            others,
            since,
            (view) => !issuerView(view).keys.includes(sha1Of(certB)),
            'the revocation',
          );

          // Admin edits: a key added by hand, and a change to the issuer.
          since = performance.now();
          await a.request({ op: 'add-key', issuer: 'contoso', certificate: certC.base64 });
          await assertPropagated(
            others,
            since,
            (view) => issuerView(view).keys.includes(sha1Of(certC)),
            'the key added by hand',
          );
          since = performance.now();
          await a.request({ op: 'update-issuer', issuer: 'contoso', patch: { allowSha1: true } });
          await assertPropagated(others, since, (view) => issuerView(view).allowSha1, 'the issuer edit');

          for (const instance of cluster.instances) {
            assert.deepEqual(
              issuerView(await instance.request<SnapshotView>({ op: 'snapshot' })).keys,
              thumbprints(certA, certC),
              `${instance.name} ends with the same trust`,
            );
          }
        } finally {
          await cluster.close();
        }
      },
    );

    it(
      'lets one of three instances asked to refresh an issuer at the same moment fetch, the others defer, and all end with the same keys',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        // The answer is held 4 s, so the three refreshes overlap however slowly a loaded machine
        // delivers the requests; the instances' fetch timeout is longer than that.
        const cluster = await start(['A', 'B', 'C'], 500, 15_000);
        try {
          await cluster.settle();
          const gate = new Promise<void>((resolve) => setTimeout(resolve, 4_000));
          cluster.server.setMode({ kind: 'gated', gate, body: documentOf([certA, certB]) });
          const requests = cluster.server.requests();
          const results = await Promise.all(
            cluster.instances.map((instance) =>
              instance.request<{ outcome: string }>(
                { op: 'refresh', issuer: 'contoso', force: true },
                20_000,
              ),
            ),
          );
          assert.equal(cluster.server.requests(), requests + 1, 'the metadata server saw one request');
          const outcomes = results.map((result) => result.outcome).sort();
          assert.deepEqual(outcomes, ['deferred', 'deferred', 'success']);
          for (const instance of cluster.instances) {
            assert.deepEqual(
              issuerView(await instance.request<SnapshotView>({ op: 'snapshot' })).keys,
              thumbprints(certA, certB),
              `${instance.name} has the refreshed keys`,
            );
          }
        } finally {
          await cluster.close();
        }
      },
    );

    it(
      "takes the result of another instance's fetch that was in progress when a forced refresh was asked for",
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const cluster = await start(['A', 'B'], 500, 15_000);
        try {
          await cluster.settle();
          const [a, b] = cluster.instances as [Instance, Instance];
          let release!: () => void;
          const gate = new Promise<void>((resolve) => {
            release = resolve;
          });
          cluster.server.setMode({ kind: 'gated', gate, body: documentOf([certA, certB]) });
          const requests = cluster.server.requests();
          const first = a.request<{ outcome: string }>(
            { op: 'refresh', issuer: 'contoso', force: true },
            20_000,
          );
          // A's fetch has begun (the server holds its answer) before B is asked.
          await untilTrue(
            () => cluster.server.requests() === requests + 1,
            5_000,
            "A's fetch reaches the server",
          );
          const second = b.request<{ outcome: string }>(
            { op: 'refresh', issuer: 'contoso', force: true },
            20_000,
          );
          // B meets A's lock and waits; then A's answer arrives.
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          release();
          const [resultA, resultB] = await Promise.all([first, second]);
          assert.equal(resultA.outcome, 'success');
          assert.equal(resultB.outcome, 'deferred', "B took A's refresh as its own");
          assert.equal(cluster.server.requests(), requests + 1, 'the metadata server saw one request');
          assert.deepEqual(
            issuerView(await b.request<SnapshotView>({ op: 'snapshot' })).keys,
            thumbprints(certA, certB),
            'B has the refreshed keys',
          );
        } finally {
          await cluster.close();
        }
      },
    );

    it(
      'makes a token ID accepted by one instance a replay in the others',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const cluster = await start(['A', 'B', 'C'], 500);
        try {
          const [a, b, c] = cluster.instances as [Instance, Instance, Instance];
          assert.deepEqual(await a.request({ op: 'replay', replayId: `${RUN}-1` }), { fresh: true });
          assert.deepEqual(await b.request({ op: 'replay', replayId: `${RUN}-1` }), { fresh: false });
          assert.deepEqual(await c.request({ op: 'replay', replayId: `${RUN}-1` }), { fresh: false });

          const racing = await Promise.all(
            cluster.instances.map((instance) =>
              instance.request<{ fresh: boolean }>({ op: 'replay', replayId: `${RUN}-2` }),
            ),
          );
          assert.equal(racing.filter((result) => result.fresh).length, 1, 'one of three racing checks wins');

          // A signed token through each instance's validator and its store replay cache.
          const seconds = Math.floor(Date.now() / 1000);
          const token = await signJwt(
            certA.privateKey,
            'RS256',
            {
              iss: ISSUER,
              aud: AUDIENCE,
              sub: 'bob@contoso.com',
              iat: seconds - 10,
              nbf: seconds - 10,
              exp: seconds + 600,
              jti: `${RUN}-token`,
            },
            { x5t: thumbprintToX5t(sha1Of(certA)) },
          );
          assert.deepEqual(await a.request({ op: 'validate', token }), {
            sha1: sha1Of(certA),
            tokenId: `${RUN}-token`,
          });
          for (const other of [b, c]) {
            await assert.rejects(other.request({ op: 'validate', token }), (error: unknown) => {
              assert.ok(error instanceof InstanceError);
              assert.equal(error.code, 'CG_TOKEN_REPLAYED');
              return true;
            });
          }
        } finally {
          await cluster.close();
        }
      },
    );

    it(
      'leaves the store as it was when an instance is killed with SIGKILL while it fetches metadata',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const cluster = await start(['A', 'B'], 500);
        try {
          const [a, b] = cluster.instances as [Instance, Instance];
          await cluster.settle();
          const before = await refreshRecords(cluster);
          cluster.server.setMode({ kind: 'slow', delayMs: 20_000, body: documentOf([certA, certB]) });
          const requests = cluster.server.requests();
          const refreshing = a
            .request({ op: 'refresh', issuer: 'contoso', force: true })
            .catch(() => undefined);
          await untilTrue(() => cluster.server.requests() > requests, 5000, 'A starts fetching');
          await a.kill();
          await refreshing;
          await assertRecoveredFromKill(cluster, a, b, before);
        } finally {
          await cluster.close();
        }
      },
    );

    it(
      'leaves the store as it was when an instance is killed with SIGKILL after its fetch, just before it applies the refresh',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const cluster = await start(['A', 'B'], 500);
        try {
          const [a, b] = cluster.instances as [Instance, Instance];
          await cluster.settle();
          const before = await refreshRecords(cluster);
          await a.request({ op: 'hold-before-apply' });
          cluster.server.setMode({ kind: 'document', body: documentOf([certA, certB]) });
          const applying = a.nextEvent('applying', 5000);
          const refreshing = a
            .request({ op: 'refresh', issuer: 'contoso', force: true })
            .catch(() => undefined);
          await applying;
          await a.kill();
          await refreshing;
          await assertRecoveredFromKill(cluster, a, b, before);
        } finally {
          await cluster.close();
        }
      },
    );

    it(
      'rolls back the refresh of an instance killed with SIGKILL inside its store transaction',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const cluster = await start(['A', 'B'], 500);
        const blocker = new pg.Client({ connectionString: DATABASE_URL });
        blocker.on('error', () => undefined);
        await blocker.connect();
        try {
          const [a, b] = cluster.instances as [Instance, Instance];
          await cluster.settle();
          const before = await refreshRecords(cluster);
          // The refresh's transaction writes keys, snapshot and refresh state,
          // then appends its audit entries: holding the audit log in SHARE
          // mode stops it there, with everything else written but uncommitted.
          await blocker.query('BEGIN');
          await blocker.query(`LOCK TABLE ${pg.escapeIdentifier(cluster.schema)}.audit_log IN SHARE MODE`);
          cluster.server.setMode({ kind: 'document', body: documentOf([certA, certB]) });
          const refreshing = a
            .request({ op: 'refresh', issuer: 'contoso', force: true })
            .catch(() => undefined);
          await untilTrue(
            () =>
              withAdmin(async (client) => {
                const result = await client.query(
                  `SELECT 1 FROM pg_stat_activity
                   WHERE application_name = $1 AND wait_event_type = 'Lock'
                     AND backend_xid IS NOT NULL AND query ~* '^insert into "?audit_log"? '`,
                  [cluster.applicationName(a)],
                );
                return result.rowCount === 1;
              }),
            5000,
            "A's transaction has written and waits to append its audit entries",
          );
          await a.kill();
          await refreshing;
          await blocker.query('ROLLBACK');
          await assertRecoveredFromKill(cluster, a, b, before);
        } finally {
          await blocker.end().catch(() => undefined);
          await cluster.close();
        }
      },
    );

    it(
      "fetches on a forced refresh that meets the issuer's lock held by another instance firing alerts",
      {
        timeout: TEST_TIMEOUT_MS,
      },
      async () => {
        const cluster = await start(['A'], NO_RECONCILE_MS);
        const other = await cluster.openStore();
        let release = (): void => undefined;
        try {
          const [a] = cluster.instances as [Instance];
          await cluster.settle();
          // What another instance's checkAlerts does when it has an alert to fire.
          let locked = false;
          const held = other.withRefreshLock(
            cluster.issuerId,
            () =>
              new Promise<void>((resolve) => {
                locked = true;
                release = resolve;
              }),
          );
          await untilTrue(() => locked, 2000, 'the lock is held');
          cluster.server.setMode({ kind: 'document', body: documentOf([certA, certB]) });
          const requests = cluster.server.requests();
          const refreshing = a.request<{ outcome: string }>({
            op: 'refresh',
            issuer: 'contoso',
            force: true,
          });
          // The other instance finishes its alerts and lets go; no refresh happened meanwhile.
          await new Promise((resolve) => setTimeout(resolve, 500));
          release();
          await held;
          const result = await refreshing;
          assert.equal(cluster.server.requests(), requests + 1, 'the administrator asked for a fetch');
          assert.equal(result.outcome, 'success');
        } finally {
          release();
          await other.close();
          await cluster.close();
        }
      },
    );
  });
});
