/**
 * The unknown-key refresh as deployments meet it: one key signing for several
 * issuers, key switches seconds after any refresh, floods of tokens naming
 * random keys, and a refresh that takes too long.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseCertificateDer } from '../../src/crypto/certificate.js';
import { thumbprintToX5t } from '../../src/crypto/thumbprint.js';
import { isClaimsgateError } from '../../src/lib/errors.js';
import type { LogEntry } from '../../src/rollover/structured-log.js';
import {
  createRolloverEngine,
  type RolloverEngine,
  type RolloverEngineOptions,
} from '../../src/rollover/rollover-engine.js';
import type { NewIssuer } from '../../src/store/model.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { createTokenValidator, type TokenValidator } from '../../src/tokens/create-token-validator.js';
import { createTestCertificate, type TestCertificate } from '../helpers/certificates.js';
import { buildFederationMetadata } from '../helpers/federation-metadata.js';
import { AUDIENCE, signJwt } from '../helpers/jwt.js';
import { startMetadataServer, type MetadataServer } from '../helpers/metadata-server.js';

/** An Azure-AD-like pair: the tenant's WS-Fed issuer and its OIDC v2 issuer publish the same keys. */
const WSFED = 'https://idp.test/tenant-1/';
const OIDC = 'https://idp.test/tenant-1/v2.0';
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
  directory = mkdtempSync(join(tmpdir(), 'claimsgate-unknown-key-'));
});

after(() => rmSync(directory, { recursive: true, force: true }));

function sha1Of(cert: TestCertificate): string {
  return parseCertificateDer(cert.der).sha1;
}

function publishing(entityId: string, certificates: readonly TestCertificate[]) {
  return {
    kind: 'document' as const,
    body: buildFederationMetadata({ entityId, signingCertificates: certificates.map((cert) => cert.base64) }),
  };
}

/** Two issuers that publish their keys at two metadata URLs, one store, one engine, one movable clock. */
interface SharedKeyBench {
  readonly servers: { readonly wsfed: MetadataServer; readonly oidc: MetadataServer };
  readonly store: Store;
  readonly engine: RolloverEngine;
  readonly validator: TokenValidator;
  readonly logs: LogEntry[];
  readonly now: () => Date;
  advance(seconds: number): void;
  /** Both issuers publish these keys from now on. */
  publish(certificates: readonly TestCertificate[]): void;
  token(issuer: string, cert: TestCertificate, x5t?: string): Promise<string>;
  close(): Promise<void>;
}

let benches = 0;

async function openSharedKeyBench(
  engineOptions: Partial<RolloverEngineOptions> = {},
  manual: Partial<Record<'wsfed' | 'oidc', boolean>> = {},
  discontinuityPolicy: NewIssuer['discontinuityPolicy'] = 'auto',
): Promise<SharedKeyBench> {
  const clock = { now: START };
  const now = (): Date => clock.now;
  const servers = {
    wsfed: await startMetadataServer(publishing(WSFED, [certA])),
    oidc: await startMetadataServer(publishing(OIDC, [certA])),
  };
  benches += 1;
  const store = await openStore(join(directory, `store-${benches}.db`), { now });
  const issuers: NewIssuer[] = [
    {
      name: 'tenant-wsfed',
      issuerUri: WSFED,
      metadataUrl: servers.wsfed.url,
      label: 'WSFED',
      discontinuityPolicy,
    },
    {
      name: 'tenant-oidc',
      issuerUri: OIDC,
      metadataUrl: servers.oidc.url,
      label: 'OIDC',
      discontinuityPolicy,
    },
  ];
  for (const issuer of issuers) await store.createIssuer(issuer, 'admin:test');
  for (const [name, isManual] of Object.entries(manual)) {
    if (isManual !== true) continue;
    const issuer = (await store.getIssuer(`tenant-${name}`))!;
    await store.updateIssuer(issuer.id, { metadataUrl: null }, 'admin:test');
    await store.addKey({ issuerId: issuer.id, certificateDer: certA.der, source: 'manual' }, 'admin:test');
  }
  const logs: LogEntry[] = [];
  const engine = createRolloverEngine({
    store,
    now,
    random: () => 0.5,
    logger: (entry) => logs.push(entry),
    fetchTimeoutMs: 2000,
    ...engineOptions,
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
    servers,
    store,
    engine,
    validator,
    logs,
    now,
    advance(seconds) {
      clock.now = new Date(clock.now.getTime() + seconds * 1000);
    },
    publish(certificates) {
      servers.wsfed.setMode(publishing(WSFED, certificates));
      servers.oidc.setMode(publishing(OIDC, certificates));
    },
    async token(issuer, cert, x5t) {
      const seconds = Math.floor(clock.now.getTime() / 1000);
      jti += 1;
      return signJwt(
        cert.privateKey,
        'RS256',
        { iss: issuer, aud: AUDIENCE, sub: 'bob', iat: seconds - 10, exp: seconds + 600, jti: `t${jti}` },
        { x5t: x5t ?? thumbprintToX5t(sha1Of(cert)) },
      );
    },
    async close() {
      await engine.stop();
      await store.close();
      await servers.wsfed.close();
      await servers.oidc.close();
    },
  };
}

async function accepts(bench: SharedKeyBench, issuer: string, cert: TestCertificate): Promise<void> {
  const identity = await bench.validator.validate(await bench.token(issuer, cert));
  assert.equal(identity.trustedIssuer, issuer);
  assert.equal(identity.signingKey.sha1, sha1Of(cert));
}

async function refuses(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => isClaimsgateError(error) && error.code === code);
}

function fetches(bench: SharedKeyBench): { wsfed: number; oidc: number } {
  return { wsfed: bench.servers.wsfed.requests(), oidc: bench.servers.oidc.requests() };
}

describe('one key signing for several issuers', () => {
  for (const order of [
    [WSFED, OIDC],
    [OIDC, WSFED],
  ] as const) {
    it(`follows an unannounced switch for both issuers, each refreshed at its first token (${order[0] === WSFED ? 'WS-Fed' : 'OIDC'} first)`, async () => {
      // An unsigned document replacing every key is a discontinuity: followed
      // at once under accept-with-alert, as an issuer fetched over https is.
      const bench = await openSharedKeyBench({}, {}, 'accept-with-alert');
      try {
        await bench.engine.start();
        await accepts(bench, WSFED, certA);
        await accepts(bench, OIDC, certA);
        bench.publish([certB]);
        bench.advance(30);
        const before = fetches(bench);
        // The first issuer's token makes that issuer learn B; the second
        // issuer's token finds B trusted for the first issuer only, which is
        // an unknown key of its own issuer: it is refreshed in the same call.
        await accepts(bench, order[0], certB);
        await accepts(bench, order[1], certB);
        const after = fetches(bench);
        assert.deepEqual(
          { wsfed: after.wsfed - before.wsfed, oidc: after.oidc - before.oidc },
          { wsfed: 1, oidc: 1 },
        );
      } finally {
        await bench.close();
      }
    });
  }

  it('refuses with CG_TRUST_KEY_WRONG_ISSUER only once the issuer’s own fresh metadata does not publish the key', async () => {
    const bench = await openSharedKeyBench();
    try {
      await bench.engine.start();
      bench.servers.wsfed.setMode(publishing(WSFED, [certA, certB]));
      bench.advance(30);
      await accepts(bench, WSFED, certB);
      const before = bench.servers.oidc.requests();
      await refuses(bench.validator.validate(await bench.token(OIDC, certB)), 'CG_TRUST_KEY_WRONG_ISSUER');
      assert.equal(bench.servers.oidc.requests() - before, 1, 'the OIDC issuer was asked before the refusal');
      // A key trusted for one issuer still never vouches for the other.
      await accepts(bench, WSFED, certB);
    } finally {
      await bench.close();
    }
  });

  it('refuses with CG_TRUST_KEY_WRONG_ISSUER at once for an issuer without a metadata URL', async () => {
    const bench = await openSharedKeyBench({}, { oidc: true });
    try {
      await bench.engine.start();
      bench.servers.wsfed.setMode(publishing(WSFED, [certA, certB]));
      bench.advance(30);
      await accepts(bench, WSFED, certB);
      await accepts(bench, OIDC, certA);
      await refuses(bench.validator.validate(await bench.token(OIDC, certB)), 'CG_TRUST_KEY_WRONG_ISSUER');
      assert.equal(bench.engine.metrics().unknownKey.unmapped, 1);
    } finally {
      await bench.close();
    }
  });

  it('lets 1,000 tokens naming random keys of both issuers cost at most one fetch per issuer per spacing window', async () => {
    const bench = await openSharedKeyBench();
    try {
      await bench.engine.start();
      bench.advance(60);
      const before = fetches(bench);
      const tokens = await Promise.all(
        Array.from({ length: 1000 }, (_, index) =>
          bench.token(index % 2 === 0 ? WSFED : OIDC, certC, randomBytes(20).toString('base64url')),
        ),
      );
      const results = await Promise.allSettled(tokens.map((token) => bench.validator.validate(token)));
      assert.ok(
        results.every(
          (result) =>
            result.status === 'rejected' && isClaimsgateError(result.reason, 'CG_TRUST_KEY_UNKNOWN'),
        ),
      );
      const after = fetches(bench);
      assert.deepEqual(
        { wsfed: after.wsfed - before.wsfed, oidc: after.oidc - before.oidc },
        { wsfed: 1, oidc: 1 },
      );
      const { unknownKey } = bench.engine.metrics();
      assert.equal(unknownKey.refreshes, 2);
      assert.equal(unknownKey.joined, 998);
      const started = bench.logs.filter((entry) => entry.event === 'refresh.unknown-key');
      assert.deepEqual(
        started.map((entry) => entry['waitingTokens']),
        [500, 500],
      );
    } finally {
      await bench.close();
    }
  });
});

describe('a key switch at any time after a refresh', () => {
  for (const [what, refresh] of [
    ['the start-up refresh', () => Promise.resolve()],
    [
      'a scheduled refresh',
      async (bench: SharedKeyBench) => {
        await bench.engine.refreshIssuer('tenant-wsfed', { reason: 'schedule', force: true });
      },
    ],
    [
      'an administrator’s Refresh now',
      async (bench: SharedKeyBench) => {
        await bench.engine.refreshIssuer('tenant-wsfed', { force: true });
      },
    ],
  ] as const) {
    for (const seconds of [0, 1, 2]) {
      it(`accepts the first token signed by a key published ${seconds} s after ${what}`, async () => {
        const bench = await openSharedKeyBench();
        try {
          await bench.engine.start();
          await refresh(bench);
          bench.publish([certA, certB]);
          bench.advance(seconds);
          await accepts(bench, WSFED, certB);
          assert.equal(bench.engine.metrics().unknownKey.timedOut, 0);
        } finally {
          await bench.close();
        }
      });
    }
  }

  it('follows two unannounced switches five seconds apart', async () => {
    const bench = await openSharedKeyBench({}, {}, 'accept-with-alert');
    try {
      await bench.engine.start();
      bench.publish([certB]);
      await accepts(bench, WSFED, certB);
      bench.publish([certC]);
      bench.advance(5);
      await accepts(bench, WSFED, certC);
      await accepts(bench, OIDC, certC);
    } finally {
      await bench.close();
    }
  });

  it('refuses a token whose fetch does not end within unknownKeyWaitMs, and counts it', async () => {
    const bench = await openSharedKeyBench({ unknownKeyWaitMs: 300, fetchTimeoutMs: 5000 });
    try {
      await bench.engine.start();
      hangWsfed(bench, certB);
      bench.advance(10);
      await refuses(bench.validator.validate(await bench.token(WSFED, certB)), 'CG_TRUST_KEY_UNKNOWN');
      assert.equal(bench.engine.metrics().unknownKey.timedOut, 1);
      assert.ok(bench.logs.some((entry) => entry.event === 'refresh.unknown-key-wait-exceeded'));
    } finally {
      await bench.close();
    }
  });

  it('lets a refresh another engine began after the token arrived stand for the one the token waits for', async () => {
    const bench = await openSharedKeyBench();
    const other = createRolloverEngine({ store: bench.store, now: bench.now, logger: () => undefined });
    try {
      await bench.engine.start();
      bench.publish([certA, certB]);
      bench.advance(1);
      const before = bench.servers.wsfed.requests();
      // The token arrives 1 s after the start-up fetch: its trailing fetch waits a second.
      const validation = bench.validator.validate(await bench.token(WSFED, certB));
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Meanwhile another instance sharing the store fetches, later than the token arrived.
      bench.advance(0.5);
      await other.refreshIssuer('tenant-wsfed', { force: true });
      const identity = await validation;
      assert.equal(identity.signingKey.sha1, sha1Of(certB));
      assert.equal(bench.servers.wsfed.requests() - before, 1, 'the waiting token made no fetch of its own');
    } finally {
      await other.stop();
      await bench.close();
    }
  });
});

/** The WS-Federation metadata endpoint answers 1.5 s late (publishing `cert`): tokens wait their whole bound. */
function hangWsfed(bench: SharedKeyBench, cert: TestCertificate): void {
  bench.servers.wsfed.setMode({
    kind: 'slow',
    delayMs: 1_500,
    body: buildFederationMetadata({ entityId: WSFED, signingCertificates: [cert.base64] }),
  });
}

describe('tokens waiting for a fetch', () => {
  it('refuses tokens past maxWaitingTokens at once, and counts them; an issuer alone may fill the pool', async () => {
    const bench = await openSharedKeyBench({ maxWaitingTokens: 6, unknownKeyWaitMs: 5_000 });
    try {
      await bench.engine.start();
      // The endpoint hangs: every waiting token waits its whole bound.
      hangWsfed(bench, certA);
      bench.advance(10);
      const tokens = await Promise.all(
        Array.from({ length: 10 }, () => bench.token(WSFED, certC, randomBytes(20).toString('base64url'))),
      );
      const started = Date.now();
      const results = await Promise.allSettled(tokens.map((token) => bench.validator.validate(token)));
      assert.ok(results.every((result) => result.status === 'rejected'));
      const { unknownKey } = bench.engine.metrics();
      assert.equal(unknownKey.overflow, 4);
      assert.equal(unknownKey.refreshes + unknownKey.joined, 6);
      assert.ok(Date.now() - started < 5_000, 'no token waited past the fetch');
    } finally {
      await bench.close();
    }
  });

  it('admits the first token of another issuer while a flood at one issuer fills the pool (security review, round 3)', async () => {
    const bench = await openSharedKeyBench({ maxWaitingTokens: 2, unknownKeyWaitMs: 5_000 });
    try {
      await bench.engine.start();
      hangWsfed(bench, certA);
      // The other issuer has just rolled to C, published and ready to be fetched.
      bench.servers.oidc.setMode(publishing(OIDC, [certA, certC]));
      bench.advance(10);
      const flood = await Promise.all(
        Array.from({ length: 20 }, () => bench.token(WSFED, certC, randomBytes(20).toString('base64url'))),
      );
      const flooding = Promise.allSettled(flood.map((token) => bench.validator.validate(token)));
      const honest = await bench.validator.validate(await bench.token(OIDC, certC));
      assert.equal(honest.issuer, OIDC);
      await flooding;
      // The flood alone filled both places; the honest token came in on top of them.
      assert.equal(bench.engine.metrics().unknownKey.overflow, 18);
    } finally {
      await bench.close();
    }
  });
});
