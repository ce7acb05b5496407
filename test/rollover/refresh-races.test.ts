/**
 * Administrators' changes racing a refresh that is under way (security
 * review, round 6): a refresh plans from what it read before its fetch, so
 * whatever the administrator does meanwhile must win.
 *
 * - A revocation: the key revoked by hand stays revoked whatever the older
 *   plan says.
 * - A change of the issuer: a move to a new metadata URL (the old endpoint
 *   is compromised) with a refresh asked for now, or its discontinuity policy
 *   set to `hold`: the refresh under way applies nothing made under the old
 *   settings.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseCertificateDer } from '../../src/crypto/certificate.js';
import { thumbprintToX5t } from '../../src/crypto/thumbprint.js';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { createRolloverEngine } from '../../src/rollover/rollover-engine.js';
import { openStore } from '../../src/store/open-store.js';
import { createTokenValidator } from '../../src/tokens/create-token-validator.js';
import { createTestCertificate, type TestCertificate } from '../helpers/certificates.js';
import { buildFederationMetadata } from '../helpers/federation-metadata.js';
import { AUDIENCE, signJwt } from '../helpers/jwt.js';
import { startMetadataServer } from '../helpers/metadata-server.js';

const ISSUER = 'https://idp.test/tenant-1/';
const START = new Date('2025-03-01T12:00:00.000Z');

let certA: TestCertificate;
let certB: TestCertificate;
let attacker: TestCertificate;
let directory: string;

before(async () => {
  [certA, certB, attacker] = await Promise.all([
    createTestCertificate({ commonName: 'signing A' }),
    createTestCertificate({ commonName: 'signing B' }),
    createTestCertificate({ commonName: 'attacker X' }),
  ]);
  directory = mkdtempSync(join(tmpdir(), 'claimsgate-refresh-races-'));
});

after(() => rmSync(directory, { recursive: true, force: true }));

const sha1Of = (cert: TestCertificate): string => parseCertificateDer(cert.der).sha1;

function publishing(certificates: readonly TestCertificate[]): string {
  return buildFederationMetadata({
    entityId: ISSUER,
    signingCertificates: certificates.map((c) => c.base64),
  });
}

async function eventually(condition: () => boolean): Promise<void> {
  for (let tries = 0; !condition(); tries += 1) {
    assert.ok(tries < 200, 'the condition never held');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('a revocation made while a refresh is under way', () => {
  for (const [title, next] of [
    ['the document drops the revoked key (it would go back to retiring)', () => [certB]],
    ['the document publishes the revoked key again (it would be restored)', () => [certA, certB]],
  ] as const) {
    it(`stays revoked when ${title}`, async () => {
      const clock = { now: START };
      const now = (): Date => clock.now;
      const server = await startMetadataServer({ kind: 'document', body: publishing([certA, certB]) });
      const store = await openStore(join(directory, `store-${title.length}.db`), { now });
      const engine = createRolloverEngine({ store, now, random: () => 0.5, logger: () => undefined });
      try {
        const issuer = await store.createIssuer(
          { name: 'contoso', issuerUri: ISSUER, metadataUrl: server.url, label: 'SIM' },
          'admin:test',
        );
        const validator = createTokenValidator({
          trust: () => engine.snapshot(),
          audiences: AUDIENCE,
          now,
          replayCache: false,
        });
        let jti = 0;
        const tokenOf = (cert: TestCertificate): Promise<string> => {
          const seconds = Math.floor(clock.now.getTime() / 1000);
          jti += 1;
          return signJwt(
            cert.privateKey,
            'RS256',
            { iss: ISSUER, aud: AUDIENCE, sub: 'bob', iat: seconds - 10, exp: seconds + 600, jti: `t${jti}` },
            { x5t: thumbprintToX5t(sha1Of(cert)) },
          );
        };
        await engine.refreshIssuer('contoso', { reason: 'schedule', force: true });
        // A signs a token, so that leaving the document puts it in its grace period.
        await engine.recordKeyUse(await validator.validate(await tokenOf(certA)));
        const keyA = (await store.listKeys(issuer.id)).find((key) => key.sha1 === sha1Of(certA));
        assert.equal(keyA?.state, 'active');
        if (next().length === 2) {
          clock.now = new Date(clock.now.getTime() + 61_000);
          server.setMode({ kind: 'document', body: publishing([certB]) });
          await engine.refreshIssuer('contoso', { reason: 'schedule', force: true });
          assert.equal((await store.getKey(keyA.id))?.state, 'retiring');
        }

        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        server.setMode({ kind: 'gated', gate, body: publishing(next()) });
        clock.now = new Date(clock.now.getTime() + 61_000);
        const requests = server.requests();
        const refreshing = engine.refreshIssuer('contoso', { reason: 'schedule', force: true });
        await eventually(() => server.requests() > requests);
        // The key leaked: the administrator revokes it while the fetch is under way.
        await store.setKeyState(keyA.id, 'revoked', 'admin:test', 'leaked');
        release();
        await refreshing;

        assert.equal((await store.getKey(keyA.id))?.state, 'revoked');
        await assert.rejects(validator.validate(await tokenOf(certA)), (error: unknown) => {
          assert.ok(isClaimsgateError(error), String(error));
          return true;
        });
      } finally {
        await engine.stop();
        await store.close();
        await server.close();
      }
    });
  }
});

describe('an issuer changed while a refresh of it is under way', () => {
  it('fetches the new URL, whatever refresh of the old one was under way', async () => {
    const clock = { now: START };
    const now = (): Date => clock.now;
    const old = await startMetadataServer({ kind: 'document', body: publishing([certA]) });
    const moved = await startMetadataServer({ kind: 'document', body: publishing([certA]) });
    const store = await openStore(join(directory, 'store.db'), { now });
    const engine = createRolloverEngine({ store, now, random: () => 0.5, logger: () => undefined });
    try {
      const issuer = await store.createIssuer(
        { name: 'contoso', issuerUri: ISSUER, metadataUrl: old.url, label: 'SIM' },
        'admin:test',
      );
      await engine.refreshIssuer('contoso', { reason: 'schedule', force: true });

      // The old endpoint, now the attacker's, holds its answer: A and the attacker's key.
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      old.setMode({ kind: 'gated', gate, body: publishing([certA, attacker]) });
      clock.now = new Date(clock.now.getTime() + 61_000);
      const requests = old.requests();
      const underWay = engine.refreshIssuer('contoso', { reason: 'schedule', force: true });
      await eventually(() => old.requests() > requests);
      // The administrator moves the issuer to its new URL and asks for a refresh now.
      await store.updateIssuer(issuer.id, { metadataUrl: moved.url }, 'admin:test');
      const asked = engine.refreshIssuer('contoso', { reason: 'manual', force: true });
      release();
      const [, result] = await Promise.all([underWay, asked]);
      assert.equal(result.outcome, 'success');

      assert.ok(moved.requests() >= 1, 'the refresh asked for after the change fetched the new URL');
      const keys = await store.listKeys(issuer.id);
      assert.equal(
        keys.find((key) => key.sha1 === sha1Of(attacker)),
        undefined,
        'what the old URL answered after the move was not applied',
      );
      assert.equal((await store.getMetadataSnapshot(issuer.id))?.url, moved.url);
    } finally {
      await engine.stop();
      await store.close();
      await old.close();
      await moved.close();
    }
  });
  it('holds a replacement of every key once the policy says hold, though the fetch began under accept-with-alert', async () => {
    const clock = { now: START };
    const now = (): Date => clock.now;
    const server = await startMetadataServer({ kind: 'document', body: publishing([certA]) });
    const store = await openStore(join(directory, 'policy.db'), { now });
    const engine = createRolloverEngine({ store, now, random: () => 0.5, logger: () => undefined });
    try {
      const issuer = await store.createIssuer(
        {
          name: 'contoso',
          issuerUri: ISSUER,
          metadataUrl: server.url,
          label: 'SIM',
          discontinuityPolicy: 'accept-with-alert',
        },
        'admin:test',
      );
      await engine.refreshIssuer('contoso', { reason: 'schedule', force: true });
      // The endpoint answers, slowly, with the attacker's key alone.
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      server.setMode({ kind: 'gated', gate, body: publishing([attacker]) });
      clock.now = new Date(clock.now.getTime() + 61_000);
      const requests = server.requests();
      const underWay = engine.refreshIssuer('contoso', { reason: 'schedule', force: true });
      await eventually(() => server.requests() > requests);
      // The administrator, warned, holds every replacement for approval from now on.
      await store.updateIssuer(issuer.id, { discontinuityPolicy: 'hold' }, 'admin:test');
      release();
      await underWay;

      const keys = await store.listKeys(issuer.id);
      const x = keys.find((key) => key.sha1 === sha1Of(attacker));
      assert.ok(x === undefined || !['announced', 'active'].includes(x.state), `attacker key ${x?.state}`);
      assert.equal(keys.find((key) => key.sha1 === sha1Of(certA))?.state, 'announced', 'A is still trusted');
      assert.equal((await store.getPendingChange(issuer.id))?.decision, 'pending');
    } finally {
      await engine.stop();
      await store.close();
      await server.close();
    }
  });
});
