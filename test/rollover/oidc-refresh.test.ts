import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { readOidcSnapshot } from '../../src/rollover/oidc-snapshot.js';
import { createRolloverEngine, type RolloverEngine } from '../../src/rollover/rollover-engine.js';
import type { IssuerRecord } from '../../src/store/model.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { createTokenValidator, type TokenValidator } from '../../src/tokens/create-token-validator.js';
import { createTestCertificate, type TestCertificate } from '../helpers/certificates.js';
import { AUDIENCE, signJwt } from '../helpers/jwt.js';
import { discoveryText, jwksText, kidOf } from '../helpers/oidc-documents.js';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js';

const ISSUER = 'https://login.test/tenant-1/v2.0';
const START = new Date('2025-03-01T12:00:00.000Z');

let certA: TestCertificate;
let certB: TestCertificate;
let directory: string;

before(async () => {
  [certA, certB] = await Promise.all([
    createTestCertificate({ commonName: 'oidc A' }),
    createTestCertificate({ commonName: 'oidc B' }),
  ]);
  directory = mkdtempSync(join(tmpdir(), 'claimsgate-oidc-'));
});

after(() => rmSync(directory, { recursive: true, force: true }));

interface Bench {
  readonly store: Store;
  readonly engine: RolloverEngine;
  readonly issuer: IssuerRecord;
  readonly validator: TokenValidator;
  advance(seconds: number): void;
  token(cert: TestCertificate): Promise<string>;
  close(): Promise<void>;
}

let benchCount = 0;

async function openBench(
  metadataUrl: string,
  fetch?: typeof globalThis.fetch,
  issuerUri: string = ISSUER,
): Promise<Bench> {
  const clock = { now: START };
  const now = (): Date => clock.now;
  benchCount += 1;
  const store = await openStore(join(directory, `oidc-${benchCount}.db`), { now });
  const issuer = await store.createIssuer(
    { name: 'entra', issuerUri, protocols: ['oidc'], metadataUrl, refreshIntervalSeconds: 3600 },
    'admin:test',
  );
  const engine = createRolloverEngine({
    store,
    now,
    random: () => 0.5,
    logger: () => undefined,
    fetchTimeoutMs: 2000,
    ...(fetch === undefined ? {} : { fetch }),
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
    store,
    engine,
    issuer,
    validator,
    advance(seconds) {
      clock.now = new Date(clock.now.getTime() + seconds * 1000);
    },
    async token(cert) {
      const seconds = Math.floor(clock.now.getTime() / 1000);
      jti += 1;
      return signJwt(
        cert.privateKey,
        'RS256',
        { iss: ISSUER, aud: AUDIENCE, sub: 'bob', iat: seconds - 10, exp: seconds + 600, jti: `t${jti}` },
        { kid: kidOf(cert) },
      );
    },
    async close() {
      await engine.stop();
      await store.close();
    },
  };
}

async function validates(bench: Bench, cert: TestCertificate): Promise<void> {
  const identity = await bench.validator.validate(await bench.token(cert));
  assert.equal(identity.signingKey.kid, kidOf(cert));
}

function serve(keys: readonly TestCertificate[], issuer = ISSUER): Promise<OidcServer> {
  return startOidcServer((_origin, jwksUrl) => ({ body: discoveryText(issuer, jwksUrl) }), {
    body: jwksText(keys, issuer),
  });
}

describe('the rollover engine following an OpenID Connect discovery document', () => {
  it('takes the keys from the jwks_uri, with their kid and own issuer, and audits both requests', async () => {
    const server = await serve([certA]);
    const bench = await openBench(server.discoveryUrl);
    try {
      await bench.engine.start();
      await validates(bench, certA);
      const [key] = await bench.store.listKeys(bench.issuer.id);
      assert.equal(key?.kid, kidOf(certA));
      assert.equal(key?.jwk?.['issuer'], ISSUER);
      const snapshot = await bench.store.getMetadataSnapshot(bench.issuer.id);
      assert.equal(snapshot?.url, server.discoveryUrl);
      assert.equal(readOidcSnapshot(snapshot)?.keySet.url, server.jwksUrl);
      const updated = (await bench.store.listAudit({ issuerId: bench.issuer.id })).find(
        (entry) => entry.action === 'metadata.updated',
      );
      assert.equal(updated?.refresh?.url, server.discoveryUrl);
      assert.equal(updated?.refresh?.httpStatus, 200);
      const keySet = (updated?.after as { keySet?: { url: string; httpStatus: number; sha256: string } })
        .keySet;
      assert.equal(keySet?.url, server.jwksUrl);
      assert.equal(keySet?.httpStatus, 200);
      assert.equal(keySet?.sha256, readOidcSnapshot(snapshot)?.keySet.sha256);
    } finally {
      await bench.close();
      await server.close();
    }
  });

  it('follows a key rollover in the JWKS while the discovery document answers 304', async () => {
    const server = await serve([certA]);
    const bench = await openBench(server.discoveryUrl);
    try {
      await bench.engine.start();
      await validates(bench, certA);
      server.setJwks({ body: jwksText([certA, certB], ISSUER) });
      bench.advance(120);
      // The token signed by the new key refreshes in the same request.
      await validates(bench, certB);
      await validates(bench, certA);
      assert.equal(server.discoveryLog().notModified, 1);
      assert.equal(server.jwksLog().conditional, 1);
      assert.equal(server.jwksLog().notModified, 0);
      const updated = (await bench.store.listAudit({ issuerId: bench.issuer.id })).filter(
        (entry) => entry.action === 'metadata.updated',
      );
      assert.equal(updated.length, 2);
      assert.equal(updated[1]!.refresh?.httpStatus, 304);
      assert.equal((updated[1]!.after as { keySet: { httpStatus: number } }).keySet.httpStatus, 200);

      // Nothing changed: both requests are conditional and answered 304.
      bench.advance(3600);
      const result = await bench.engine.refreshIssuer('entra', { force: true });
      assert.equal(result.outcome, 'not-modified');
      assert.equal(server.discoveryLog().notModified, 2);
      assert.equal(server.jwksLog().notModified, 1);
    } finally {
      await bench.close();
      await server.close();
    }
  });

  it('keeps the last-known-good when the JWKS cannot be fetched, and records the key set request', async () => {
    const server = await serve([certA]);
    const bench = await openBench(server.discoveryUrl);
    try {
      await bench.engine.start();
      const snapshot = await bench.store.getMetadataSnapshot(bench.issuer.id);
      server.setJwks({ status: 500 });
      bench.advance(61);
      const result = await bench.engine.refreshIssuer('entra', { force: true });
      assert.equal(result.outcome, 'failure');
      assert.equal(result.code, 'CG_META_HTTP_STATUS');
      await validates(bench, certA);
      assert.deepEqual(await bench.store.getMetadataSnapshot(bench.issuer.id), snapshot);
      const failed = (await bench.store.listAudit({ issuerId: bench.issuer.id })).find(
        (entry) => entry.action === 'refresh.failed',
      );
      assert.equal(failed?.refresh?.code, 'CG_META_HTTP_STATUS');
      assert.equal(failed?.refresh?.url, server.discoveryUrl);
      const keySet = (failed?.after as { keySet?: { url: string; httpStatus: number; code: string } }).keySet;
      assert.deepEqual(
        [keySet?.url, keySet?.httpStatus, keySet?.code],
        [server.jwksUrl, 500, 'CG_META_HTTP_STATUS'],
      );

      server.setJwks({ body: jwksText([certA], ISSUER) });
      bench.advance(61);
      assert.equal((await bench.engine.refreshIssuer('entra', { force: true })).outcome, 'not-modified');
    } finally {
      await bench.close();
      await server.close();
    }
  });

  it('refuses a discovery document of another issuer without requesting its jwks_uri', async () => {
    const server = await serve([certA], 'https://evil.test/v2.0');
    const bench = await openBench(server.discoveryUrl);
    try {
      const result = await bench.engine.refreshIssuer('entra', { force: true });
      assert.equal(result.code, 'CG_META_ENTITY_NOT_FOUND');
      assert.equal(server.jwksLog().requests, 0);
      assert.deepEqual(await bench.store.listKeys(bench.issuer.id), []);
    } finally {
      await bench.close();
      await server.close();
    }
  });

  it('refuses a jwks_uri in plain http to a host that is not loopback, before any request to it', async () => {
    const discoveryUrl = 'https://login.test/tenant-1/v2.0/.well-known/openid-configuration';
    const requested: string[] = [];
    const fetch: typeof globalThis.fetch = (input) => {
      const url = input instanceof Request ? input.url : String(input);
      requested.push(url);
      return Promise.resolve(
        new Response(discoveryText(ISSUER, 'http://keys.login.test/tenant-1/keys'), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        }),
      );
    };
    const bench = await openBench(discoveryUrl, fetch);
    try {
      const result = await bench.engine.refreshIssuer('entra', { force: true });
      assert.equal(result.outcome, 'failure');
      assert.equal(result.code, 'CG_META_URL_INSECURE');
      assert.deepEqual(requested, [discoveryUrl]);
      await assert.rejects(bench.validator.validate(await bench.token(certA)), (error: unknown) =>
        isClaimsgateError(error, 'CG_TRUST_KEY_UNKNOWN'),
      );
    } finally {
      await bench.close();
    }
  });
});
