/**
 * Key continuity as deployments meet it: a metadata endpoint that answers
 * once with an attacker's key (the hostile-document drill of issue 11),
 * honest rollovers that must need no administrator, emergency rollovers,
 * downgrades, and the unknown-key refresh that ends in a held document.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseCertificateDer } from '../../src/crypto/certificate.js';
import { thumbprintToX5t } from '../../src/crypto/thumbprint.js';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { createRolloverEngine, type RolloverEngine } from '../../src/rollover/rollover-engine.js';
import type { DiscontinuityPolicy, IssuerRecord } from '../../src/store/model.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { createTokenValidator, type TokenValidator } from '../../src/tokens/create-token-validator.js';
import { createTestCertificate, type TestCertificate } from '../helpers/certificates.js';
import { buildFederationMetadata } from '../helpers/federation-metadata.js';
import { AUDIENCE, signJwt } from '../helpers/jwt.js';
import { startMetadataServer, type MetadataServer, type ServerMode } from '../helpers/metadata-server.js';
import { discoveryText, jwksText, kidOf } from '../helpers/oidc-documents.js';
import { startOidcServer } from '../helpers/oidc-server.js';

const ISSUER = 'https://idp.test/tenant-1/';
const HTTPS_METADATA = 'https://idp.test/tenant-1/federationmetadata/2007-06/federationmetadata.xml';
const START = new Date('2025-03-01T12:00:00.000Z');

/** The real issuer's keys A and B (its next key), and the attacker's X. */
let certA: TestCertificate;
let certB: TestCertificate;
let certC: TestCertificate;
let attacker: TestCertificate;
let directory: string;

before(async () => {
  [certA, certB, certC, attacker] = await Promise.all([
    createTestCertificate({ commonName: 'signing A' }),
    createTestCertificate({ commonName: 'signing B' }),
    createTestCertificate({ commonName: 'signing C' }),
    createTestCertificate({ commonName: 'attacker X' }),
  ]);
  directory = mkdtempSync(join(tmpdir(), 'claimsgate-continuity-'));
});

after(() => rmSync(directory, { recursive: true, force: true }));

function sha1Of(cert: TestCertificate): string {
  return parseCertificateDer(cert.der).sha1;
}

/** A federation metadata document publishing `certificates`, signed by `signedBy` (Azure AD signs with its own signing key). */
function publishing(certificates: readonly TestCertificate[], signedBy?: TestCertificate) {
  return {
    kind: 'document' as const,
    body: buildFederationMetadata({
      entityId: ISSUER,
      signingCertificates: certificates.map((cert) => cert.base64),
      ...(signedBy === undefined
        ? {}
        : { signer: { privateKey: signedBy.privateKey, certificatePem: signedBy.pem } }),
    }),
  };
}

/**
 * A fetch that answers `https://idp.test/…` from the loopback server: the
 * refresh sees an https URL (what it judges `auto` by) while the bytes come
 * from the test's server.
 */
function httpsVia(server: MetadataServer): typeof globalThis.fetch {
  return (input) => {
    const request = input as Request;
    return globalThis.fetch(server.url, {
      headers: request.headers,
      redirect: 'manual',
      signal: request.signal,
    });
  };
}

interface Bench {
  readonly server: MetadataServer;
  readonly store: Store;
  readonly engine: RolloverEngine;
  readonly issuer: IssuerRecord;
  readonly validator: TokenValidator;
  advance(seconds: number): void;
  token(cert: TestCertificate): Promise<string>;
  close(): Promise<void>;
}

let benches = 0;

async function openBench(
  initial: ReturnType<typeof publishing>,
  options: { https?: boolean; discontinuityPolicy?: DiscontinuityPolicy } = {},
): Promise<Bench> {
  const clock = { now: START };
  const now = (): Date => clock.now;
  const server = await startMetadataServer(initial);
  benches += 1;
  const store = await openStore(join(directory, `store-${benches}.db`), { now });
  const issuer = await store.createIssuer(
    {
      name: 'contoso',
      issuerUri: ISSUER,
      metadataUrl: options.https === true ? HTTPS_METADATA : server.url,
      label: 'SIM',
      ...(options.discontinuityPolicy === undefined
        ? {}
        : { discontinuityPolicy: options.discontinuityPolicy }),
    },
    'admin:test',
  );
  const engine = createRolloverEngine({
    store,
    now,
    random: () => 0.5,
    logger: () => undefined,
    fetchTimeoutMs: 2000,
    ...(options.https === true ? { fetch: httpsVia(server) } : {}),
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
    advance(seconds) {
      clock.now = new Date(clock.now.getTime() + seconds * 1000);
    },
    async token(cert) {
      const seconds = Math.floor(clock.now.getTime() / 1000);
      jti += 1;
      return signJwt(
        cert.privateKey,
        'RS256',
        {
          iss: ISSUER,
          aud: AUDIENCE,
          sub: 'admin@contoso.test',
          iat: seconds - 10,
          exp: seconds + 600,
          jti: `t${jti}`,
        },
        { x5t: thumbprintToX5t(sha1Of(cert)) },
      );
    },
    async close() {
      await engine.stop();
      await store.close();
      await server.close();
    },
  };
}

/** Signs in with a token of `cert`, as the gateway does (the key's use is recorded). */
async function signsIn(bench: Bench, cert: TestCertificate): Promise<void> {
  const identity = await bench.validator.validate(await bench.token(cert));
  assert.equal(identity.signingKey.sha1, sha1Of(cert));
  await bench.engine.recordKeyUse(identity);
}

async function refused(bench: Bench, cert: TestCertificate, code: string): Promise<void> {
  await assert.rejects(bench.validator.validate(await bench.token(cert)), (error: unknown) => {
    assert.ok(isClaimsgateError(error), String(error));
    assert.equal(error.code, code);
    return true;
  });
}

async function stateOf(bench: Bench, cert: TestCertificate): Promise<string | undefined> {
  return (await bench.store.listKeys(bench.issuer.id)).find((key) => key.sha1 === sha1Of(cert))?.state;
}

async function actions(bench: Bench, prefix: string): Promise<string[]> {
  return (await bench.store.listAudit({ issuerId: bench.issuer.id }))
    .map((entry) => entry.action)
    .filter((action) => action.startsWith(prefix));
}

async function refresh(bench: Bench, seconds = 61) {
  bench.advance(seconds);
  return bench.engine.refreshIssuer('contoso', { reason: 'schedule', force: true });
}

/** The endpoint answers with `mode` from now on; refreshed `seconds` later. */
function answerWith(bench: Bench, mode: ServerMode, seconds?: number) {
  bench.server.setMode(mode);
  return refresh(bench, seconds);
}

describe('the hostile-document drill: the metadata endpoint answers once with only an attacker’s key', () => {
  for (const variant of ['unsigned', 'signed by the attacker'] as const) {
    const hostile = () => publishing([attacker], variant === 'unsigned' ? undefined : attacker);

    it(`holds it over http (${variant}): sign-ins keep the real key, the attacker's token waits for approval, one critical alert`, async () => {
      const bench = await openBench(publishing([certA], certA));
      try {
        await bench.engine.start();
        await signsIn(bench, certA);
        bench.server.setMode(hostile());
        bench.advance(61);
        // The attacker's token is what makes claimsgate fetch: it waits for an administrator.
        await refused(bench, attacker, 'CG_TRUST_KEY_PENDING_APPROVAL');
        await signsIn(bench, certA);
        const pending = await bench.store.getPendingChange(bench.issuer.id);
        assert.equal(pending?.decision, 'pending');
        assert.equal(
          pending?.reason,
          variant === 'unsigned' ? 'unsigned-replacement' : 'unknown-signer-replacement',
        );
        assert.deepEqual(
          pending?.keys.map((key) => key.sha1),
          [sha1Of(attacker)],
        );
        assert.equal(await stateOf(bench, attacker), undefined, 'the attacker key is not stored');

        // The endpoint keeps answering with it: the refresh fails, nothing new is raised.
        const again = await refresh(bench, 3600);
        assert.deepEqual([again.outcome, again.code], ['failure', 'CG_META_KEYS_DISCONTINUOUS']);
        await refused(bench, attacker, 'CG_TRUST_KEY_PENDING_APPROVAL');
        const alerts = (await bench.store.listAudit({ issuerId: bench.issuer.id })).filter(
          (entry) => entry.action === 'alert.keys-discontinuous',
        );
        assert.equal(alerts.length, 1);
        assert.equal((alerts[0]!.after as { severity: string }).severity, 'critical');
        assert.deepEqual(await actions(bench, 'change.'), ['change.held']);

        // The endpoint is fixed: the next refresh withdraws the held document.
        const fixed = await answerWith(bench, publishing([certA], certA));
        assert.notEqual(fixed.outcome, 'failure');
        assert.equal(await bench.store.getPendingChange(bench.issuer.id), undefined);
        assert.deepEqual(await actions(bench, 'change.'), ['change.held', 'change.withdrawn']);
        await refused(bench, attacker, 'CG_TRUST_KEY_UNKNOWN');
        await signsIn(bench, certA);
      } finally {
        await bench.close();
      }
    });

    it(`applies it over https (${variant}) with the alert and the real key retired at once, and drops the attacker's key at once after the fix`, async () => {
      const bench = await openBench(publishing([certA], certA), { https: true });
      try {
        await bench.engine.start();
        await signsIn(bench, certA);
        bench.server.setMode(hostile());
        bench.advance(61);
        // accept-with-alert: the attacker signs in (this is what the alert is for) …
        await signsIn(bench, attacker);
        assert.equal(await stateOf(bench, certA), 'retired', 'no grace for the replaced key');
        await refused(bench, certA, 'CG_TRUST_KEY_UNKNOWN');
        const alert = (await bench.store.listAudit({ issuerId: bench.issuer.id })).find(
          (entry) => entry.action === 'alert.keys-discontinuous',
        );
        assert.equal((alert?.after as { severity: string }).severity, 'critical');
        assert.equal(
          (alert?.after as { detail: { outcome: string } }).detail.outcome,
          'applied',
          'the alert says the document was applied',
        );
        assert.equal(await bench.store.getPendingChange(bench.issuer.id), undefined);

        // … until the endpoint is fixed: that document is itself a discontinuity, so the
        // attacker's key (used) loses its grace, and the real key is restored.
        const fixed = await answerWith(bench, publishing([certA], certA));
        assert.equal(fixed.outcome, 'success');
        assert.equal(await stateOf(bench, attacker), 'retired');
        await refused(bench, attacker, 'CG_TRUST_KEY_UNKNOWN');
        await signsIn(bench, certA);
      } finally {
        await bench.close();
      }
    });
  }

  it('retires the attacker key that never signed a token at once when the endpoint is fixed, over https', async () => {
    const bench = await openBench(publishing([certA]), { https: true, discontinuityPolicy: 'auto' });
    try {
      await bench.engine.start();
      await signsIn(bench, certA);
      bench.server.setMode(publishing([certA, attacker]));
      // One real key kept in the document: continuous (an overlap does not guard against this; TLS does).
      assert.equal((await refresh(bench)).outcome, 'success');
      assert.equal(await stateOf(bench, attacker), 'announced');
      assert.equal((await answerWith(bench, publishing([certA]))).outcome, 'success');
      assert.equal(await stateOf(bench, attacker), 'retired');
      const retired = (await bench.store.listAudit({ issuerId: bench.issuer.id })).find(
        (entry) => entry.action === 'key.retired' && entry.subject === sha1Of(attacker),
      );
      assert.match(String((retired?.after as { why: string }).why), /without having signed a token/);
      await refused(bench, attacker, 'CG_TRUST_KEY_UNKNOWN');
    } finally {
      await bench.close();
    }
  });
});

describe('tokens signed by a held key', () => {
  it('let 1,000 of them cost one metadata fetch per spacing window, each refused with CG_TRUST_KEY_PENDING_APPROVAL', async () => {
    // An issuer alone may fill the waiting pool: the default 1,000 places let all of them wait.
    const bench = await openBench(publishing([certA], certA));
    try {
      await bench.engine.start();
      assert.equal(
        (await answerWith(bench, publishing([attacker], attacker))).code,
        'CG_META_KEYS_DISCONTINUOUS',
      );
      bench.advance(61);
      const before = bench.server.requests();
      const tokens = await Promise.all(Array.from({ length: 1000 }, () => bench.token(attacker)));
      const results = await Promise.allSettled(tokens.map((token) => bench.validator.validate(token)));
      assert.ok(
        results.every(
          (result) =>
            result.status === 'rejected' && isClaimsgateError(result.reason, 'CG_TRUST_KEY_PENDING_APPROVAL'),
        ),
      );
      // A held key makes claimsgate look again (the endpoint may be fixed), but no more than an unknown key does.
      assert.equal(bench.server.requests() - before, 1);
      assert.equal(bench.engine.metrics().unknownKey.joined, 999);
      assert.deepEqual(await actions(bench, 'alert.keys-discontinuous'), ['alert.keys-discontinuous']);
    } finally {
      await bench.close();
    }
  });
});

describe('honest rollovers need no administrator', () => {
  it('follows announce → switch → retire over http with no pending change and no discontinuity alert', async () => {
    const bench = await openBench(publishing([certA], certA));
    try {
      await bench.engine.start();
      await signsIn(bench, certA);
      assert.equal((await answerWith(bench, publishing([certA, certB], certA))).outcome, 'success');
      // The switch: the metadata is now signed by B, a key announced before.
      bench.server.setMode(publishing([certA, certB], certB));
      bench.advance(61);
      await signsIn(bench, certB);
      await signsIn(bench, certA);
      assert.equal((await answerWith(bench, publishing([certB], certB), 3600)).outcome, 'success');
      assert.equal(await stateOf(bench, certA), 'retiring', 'a used key keeps its grace');
      await signsIn(bench, certA);
      await refresh(bench, 3601);
      assert.equal(await stateOf(bench, certA), 'retired');
      assert.deepEqual(await actions(bench, 'change.'), []);
      assert.deepEqual(await actions(bench, 'alert.keys-discontinuous'), []);
    } finally {
      await bench.close();
    }
  });

  for (const signed of [false, true]) {
    it(`follows one refresh that adds a key and drops another at once (${signed ? 'signed by the key that leaves' : 'unsigned, sharing a key'})`, async () => {
      const bench = await openBench(signed ? publishing([certA], certA) : publishing([certA, certB]));
      try {
        await bench.engine.start();
        await signsIn(bench, certA);
        if (!signed) await signsIn(bench, certB);
        bench.server.setMode(signed ? publishing([certC], certA) : publishing([certB, certC]));
        bench.advance(61);
        await signsIn(bench, certC);
        assert.equal(await stateOf(bench, certA), 'retiring');
        await signsIn(bench, certA);
        assert.equal(await bench.store.getPendingChange(bench.issuer.id), undefined);
        assert.deepEqual(await actions(bench, 'alert.keys-discontinuous'), []);
      } finally {
        await bench.close();
      }
    });
  }

  it('retires at once an announced key withdrawn before it signed anything', async () => {
    const bench = await openBench(publishing([certA]));
    try {
      await bench.engine.start();
      await signsIn(bench, certA);
      await answerWith(bench, publishing([certA, certB]));
      assert.equal(await stateOf(bench, certB), 'announced');
      await answerWith(bench, publishing([certA]));
      assert.equal(await stateOf(bench, certB), 'retired');
      await refused(bench, certB, 'CG_TRUST_KEY_UNKNOWN');
    } finally {
      await bench.close();
    }
  });
});

describe('an emergency rollover: every key replaced at once by the real issuer', () => {
  // Azure AD signs its metadata with its current signing key: after an emergency, the new one.
  const emergency = () => publishing([certB], certB);

  it('is applied over https with the critical alert, the old key retired at once', async () => {
    const bench = await openBench(publishing([certA], certA), { https: true });
    try {
      await bench.engine.start();
      await signsIn(bench, certA);
      bench.server.setMode(emergency());
      bench.advance(61);
      await signsIn(bench, certB);
      await refused(bench, certA, 'CG_TRUST_KEY_UNKNOWN');
      assert.deepEqual(await actions(bench, 'alert.keys-discontinuous'), ['alert.keys-discontinuous']);
      assert.deepEqual(await actions(bench, 'change.'), []);
    } finally {
      await bench.close();
    }
  });

  it('is held over http, then applied once an administrator approves the document reviewed', async () => {
    const bench = await openBench(publishing([certA], certA));
    try {
      await bench.engine.start();
      await signsIn(bench, certA);
      bench.server.setMode(emergency());
      const held = await refresh(bench);
      assert.deepEqual([held.outcome, held.code], ['failure', 'CG_META_KEYS_DISCONTINUOUS']);
      assert.ok(
        held.alerts.some((alert) => alert.kind === 'keys-discontinuous' && alert.severity === 'critical'),
      );
      await refused(bench, certB, 'CG_TRUST_KEY_PENDING_APPROVAL');
      const pending = (await bench.store.getPendingChange(bench.issuer.id))!;

      // An approval of another document (a stale review) is refused and changes nothing.
      await assert.rejects(
        bench.engine.approvePendingChange('contoso', 'ab'.repeat(32), 'admin:alice'),
        (error: unknown) => isClaimsgateError(error, 'CG_STORE_CONFLICT'),
      );
      const applied = await bench.engine.approvePendingChange('contoso', pending.sha256, 'admin:alice');
      assert.equal(applied.outcome, 'success');
      await signsIn(bench, certB);
      await refused(bench, certA, 'CG_TRUST_KEY_UNKNOWN');
      assert.equal(await stateOf(bench, certA), 'retired');
      assert.equal(await bench.store.getPendingChange(bench.issuer.id), undefined);
      assert.deepEqual(await actions(bench, 'change.'), ['change.held', 'change.approved', 'change.applied']);
    } finally {
      await bench.close();
    }
  });

  it('judges afresh a document that replaced the approved one before the approval’s refresh', async () => {
    const bench = await openBench(publishing([certA], certA));
    try {
      await bench.engine.start();
      bench.server.setMode(emergency());
      await refresh(bench);
      const pending = (await bench.store.getPendingChange(bench.issuer.id))!;
      bench.server.setMode(publishing([certC], certC));
      const result = await bench.engine.approvePendingChange('contoso', pending.sha256, 'admin:alice');
      assert.deepEqual([result.outcome, result.code], ['failure', 'CG_META_KEYS_DISCONTINUOUS']);
      const now = (await bench.store.getPendingChange(bench.issuer.id))!;
      assert.equal(now.decision, 'pending');
      assert.notEqual(now.sha256, pending.sha256);
      assert.deepEqual(
        now.keys.map((key) => key.sha1),
        [sha1Of(certC)],
      );
      await refused(bench, certC, 'CG_TRUST_KEY_PENDING_APPROVAL');
      await signsIn(bench, certA);
    } finally {
      await bench.close();
    }
  });

  it('stays held without a new alert once rejected, and its key is no longer named as pending', async () => {
    const bench = await openBench(publishing([certA], certA));
    try {
      await bench.engine.start();
      bench.server.setMode(emergency());
      await refresh(bench);
      const pending = (await bench.store.getPendingChange(bench.issuer.id))!;
      const rejected = await bench.engine.rejectPendingChange('contoso', pending.sha256, 'admin:alice');
      assert.equal(rejected.decision, 'rejected');
      const again = await refresh(bench, 3600);
      assert.equal(again.code, 'CG_META_KEYS_DISCONTINUOUS');
      assert.deepEqual(
        again.alerts.filter((alert) => alert.kind === 'keys-discontinuous'),
        [],
      );
      assert.equal((await bench.store.getPendingChange(bench.issuer.id))?.decision, 'rejected');
      await refused(bench, certB, 'CG_TRUST_KEY_UNKNOWN');
      await signsIn(bench, certA);
      assert.deepEqual(await actions(bench, 'alert.keys-discontinuous'), ['alert.keys-discontinuous']);
    } finally {
      await bench.close();
    }
  });

  it('is applied over http when the issuer is set to accept-with-alert', async () => {
    const bench = await openBench(publishing([certA], certA), { discontinuityPolicy: 'accept-with-alert' });
    try {
      await bench.engine.start();
      bench.server.setMode(emergency());
      bench.advance(61);
      await signsIn(bench, certB);
      assert.deepEqual(await actions(bench, 'alert.keys-discontinuous'), ['alert.keys-discontinuous']);
    } finally {
      await bench.close();
    }
  });

  it('is held over https when the issuer is set to hold', async () => {
    const bench = await openBench(publishing([certA], certA), { https: true, discontinuityPolicy: 'hold' });
    try {
      await bench.engine.start();
      bench.server.setMode(emergency());
      bench.advance(61);
      await refused(bench, certB, 'CG_TRUST_KEY_PENDING_APPROVAL');
    } finally {
      await bench.close();
    }
  });
});

describe('a downgrade', () => {
  it('holds over http an unsigned document from an issuer that signed, even when it keeps every key', async () => {
    const bench = await openBench(publishing([certA, certB], certA));
    try {
      await bench.engine.start();
      await signsIn(bench, certA);
      const result = await answerWith(bench, publishing([certA, certB, attacker]));
      assert.equal(result.code, 'CG_META_KEYS_DISCONTINUOUS');
      assert.equal((await bench.store.getPendingChange(bench.issuer.id))?.reason, 'downgrade');
      await signsIn(bench, certA);
      await signsIn(bench, certB);
      await refused(bench, attacker, 'CG_TRUST_KEY_PENDING_APPROVAL');
    } finally {
      await bench.close();
    }
  });

  it('holds a document that keeps every key but is signed by a key of its sender’s choosing (security review, round 3)', async () => {
    const bench = await openBench(publishing([certA, certB], certA));
    try {
      await bench.engine.start();
      await signsIn(bench, certA);
      const result = await answerWith(bench, publishing([certA, certB, attacker], attacker));
      assert.equal(result.code, 'CG_META_KEYS_DISCONTINUOUS');
      assert.equal((await bench.store.getPendingChange(bench.issuer.id))?.reason, 'downgrade');
      assert.deepEqual(await actions(bench, 'alert.keys-discontinuous'), ['alert.keys-discontinuous']);
      assert.equal(await stateOf(bench, attacker), undefined);
      await refused(bench, attacker, 'CG_TRUST_KEY_PENDING_APPROVAL');
      // The second answer, the attacker's key alone and signed by it, is held too.
      assert.equal(
        (await answerWith(bench, publishing([attacker], attacker))).code,
        'CG_META_KEYS_DISCONTINUOUS',
      );
      await signsIn(bench, certA);
      await signsIn(bench, certB);
    } finally {
      await bench.close();
    }
  });
});

describe('an unsigned issuer answered twice: first the real keys and the attacker’s, then the attacker’s alone', () => {
  it('holds the second answer over http while the key the first brought in serves its probation', async () => {
    const bench = await openBench(publishing([certA, certB]));
    try {
      await bench.engine.start();
      await signsIn(bench, certA);
      assert.equal(
        (await answerWith(bench, publishing([certA, certB, attacker]))).outcome,
        'success',
        'it keeps the real keys: a continuation',
      );
      assert.equal(await stateOf(bench, attacker), 'announced');
      for (const second of [publishing([attacker]), publishing([attacker], attacker)]) {
        bench.server.setMode(second);
        const result = await refresh(bench);
        assert.equal(result.code, 'CG_META_KEYS_DISCONTINUOUS');
        assert.equal(await stateOf(bench, certA), 'active');
        await signsIn(bench, certA);
      }
      assert.equal(
        (await bench.store.getPendingChange(bench.issuer.id))?.reason,
        'unknown-signer-replacement',
      );
    } finally {
      await bench.close();
    }
  });

  it('lets a first answer signed by the attacker’s own key make the issuer no signing one (security review, round 4)', async () => {
    const bench = await openBench(publishing([certA, certB]));
    try {
      await bench.engine.start();
      await signsIn(bench, certA);
      assert.equal(
        (await answerWith(bench, publishing([certA, certB, attacker], attacker))).outcome,
        'success',
        'it keeps the real keys: a continuation',
      );
      assert.deepEqual(await actions(bench, 'alert.signer-changed'), ['alert.signer-changed']);
      assert.equal((await bench.store.getMetadataSnapshot(bench.issuer.id))?.signerSha1, null);
      assert.equal(
        (await answerWith(bench, publishing([attacker], attacker))).code,
        'CG_META_KEYS_DISCONTINUOUS',
      );
      assert.equal(await stateOf(bench, certA), 'active');
      await signsIn(bench, certA);
    } finally {
      await bench.close();
    }
  });

  it('restarts the probation of a key retired and republished: the time it spent retired does not count (security review, round 5)', async () => {
    const bench = await openBench(publishing([certA, certB]));
    try {
      await bench.engine.start();
      await signsIn(bench, certA);
      assert.equal((await answerWith(bench, publishing([certA, certB, attacker]))).outcome, 'success');
      assert.equal((await answerWith(bench, publishing([certA, certB]))).outcome, 'success');
      assert.equal(await stateOf(bench, attacker), 'retired', 'it never signed a token: retired at once');
      // Two days later the attacker answers again with the real keys and theirs, then theirs alone.
      assert.equal(
        (await answerWith(bench, publishing([certA, certB, attacker]), 2 * 86_400)).outcome,
        'success',
      );
      assert.equal(await stateOf(bench, attacker), 'announced');
      assert.equal((await answerWith(bench, publishing([attacker]))).code, 'CG_META_KEYS_DISCONTINUOUS');
      assert.equal(await stateOf(bench, certA), 'active');
      await signsIn(bench, certA);
      // A day after it came back, its probation has run: the same answer is an announced rollover's end.
      assert.equal((await refresh(bench, 86_400)).outcome, 'success');
      assert.equal(await stateOf(bench, certA), 'retiring');
    } finally {
      await bench.close();
    }
  });

  it('lets a key an administrator made usable again vouch at once, as one they added', async () => {
    const bench = await openBench(publishing([certA, certB]));
    try {
      await bench.engine.start();
      await signsIn(bench, certA);
      assert.equal((await answerWith(bench, publishing([certA, certB, certC]))).outcome, 'success');
      const keyC = (await bench.store.listKeys(bench.issuer.id)).find((key) => key.sha1 === sha1Of(certC));
      assert.ok(keyC);
      await bench.store.setKeyState(keyC.id, 'revoked', 'admin:test', 'not ours?');
      await bench.store.setKeyState(keyC.id, 'active', 'admin:test', 'the issuer confirmed it');
      assert.equal((await answerWith(bench, publishing([certC]))).outcome, 'success');
      assert.deepEqual(await actions(bench, 'alert.keys-discontinuous'), []);
      await signsIn(bench, certC);
    } finally {
      await bench.close();
    }
  });

  it('applies the same second answer a day later as the end of an announced rollover', async () => {
    const bench = await openBench(publishing([certA, certB]));
    try {
      await bench.engine.start();
      await signsIn(bench, certA);
      assert.equal((await answerWith(bench, publishing([certA, certB, certC]))).outcome, 'success');
      assert.equal((await answerWith(bench, publishing([certC]), 86_400)).outcome, 'success');
      assert.equal(await stateOf(bench, certA), 'retiring');
      await signsIn(bench, certC);
      assert.deepEqual(await actions(bench, 'alert.keys-discontinuous'), []);
    } finally {
      await bench.close();
    }
  });
});

describe('an OpenID Connect key set', () => {
  const OIDC_ISSUER = 'https://login.test/tenant-1/v2.0';

  it('holds a key set over http that shares no key, and refuses a token naming its kid with CG_TRUST_KEY_PENDING_APPROVAL', async () => {
    const server = await startOidcServer(
      (_origin, jwksUrl) => ({ body: discoveryText(OIDC_ISSUER, jwksUrl) }),
      {
        body: jwksText([certA], OIDC_ISSUER),
      },
    );
    const clock = { now: START };
    const store = await openStore(join(directory, 'oidc.db'), { now: () => clock.now });
    const engine = createRolloverEngine({ store, now: () => clock.now, logger: () => undefined });
    const validator = createTokenValidator({
      trust: () => engine.snapshot(),
      onUnknownKey: (event) => engine.onUnknownKey(event),
      audiences: AUDIENCE,
      now: () => clock.now,
      replayCache: false,
    });
    const token = (cert: TestCertificate) => {
      const seconds = Math.floor(clock.now.getTime() / 1000);
      return signJwt(
        cert.privateKey,
        'RS256',
        { iss: OIDC_ISSUER, aud: AUDIENCE, sub: 'bob', iat: seconds - 10, exp: seconds + 600 },
        { kid: kidOf(cert) },
      );
    };
    try {
      await store.createIssuer(
        { name: 'entra', issuerUri: OIDC_ISSUER, protocols: ['oidc'], metadataUrl: server.discoveryUrl },
        'admin:test',
      );
      await engine.start();
      await validator.validate(await token(certA));
      server.setJwks({ body: jwksText([certB], OIDC_ISSUER) });
      clock.now = new Date(START.getTime() + 61_000);
      await assert.rejects(validator.validate(await token(certB)), (error: unknown) =>
        isClaimsgateError(error, 'CG_TRUST_KEY_PENDING_APPROVAL'),
      );
      const pending = await store.listPendingChanges();
      assert.deepEqual(
        pending.map((change) => [change.reason, change.keys.map((key) => key.kid)]),
        [['unsigned-replacement', [kidOf(certB)]]],
      );
      await validator.validate(await token(certA));
    } finally {
      await engine.stop();
      await store.close();
      await server.close();
    }
  });
});
