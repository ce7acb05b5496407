import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { parseCertificateDer } from '../../src/crypto/certificate.js';
import { createTestCertificate, type TestCertificate } from '../helpers/certificates.js';
import { runInProcess } from '../helpers/cli.js';
import { buildFederationMetadata } from '../helpers/federation-metadata.js';
import { startMetadataServer, type MetadataServer } from '../helpers/metadata-server.js';
import { createTempDatabase, errorCode, stdoutJson, type TempDatabase } from './store-cli.js';

const ISSUER = 'https://idp.test/tenant-1/';

interface PendingJson {
  sha256: string;
  reason: string;
  decision: string;
  decidedBy: string | null;
  added: Array<{ sha1: string | null }>;
  removed: Array<{ sha1: string | null }>;
}

let certA: TestCertificate;
let certB: TestCertificate;
let server: MetadataServer;
let db: TempDatabase;

function publishing(cert: TestCertificate) {
  return {
    kind: 'document' as const,
    body: buildFederationMetadata({
      entityId: ISSUER,
      signingCertificates: [cert.base64],
      signer: { privateKey: cert.privateKey, certificatePem: cert.pem },
    }),
  };
}

const sha1 = (cert: TestCertificate): string => parseCertificateDer(cert.der).sha1;

before(async () => {
  [certA, certB] = await Promise.all([
    createTestCertificate({ commonName: 'signing A' }),
    createTestCertificate({ commonName: 'signing B' }),
  ]);
  server = await startMetadataServer(publishing(certA));
});
after(() => server.close());
beforeEach(() => {
  db = createTempDatabase();
  server.setMode(publishing(certA));
});
afterEach(() => db.remove());

function cli(...args: string[]) {
  return runInProcess([...args, '--db', db.path]);
}

/** Adds the issuer from A's document, then has the endpoint switch to B alone (an emergency rollover over http). */
async function holdEmergency(): Promise<PendingJson> {
  assert.equal((await cli('issuers', 'add', 'contoso', '--metadata-url', server.url, '--yes')).code, 0);
  server.setMode(publishing(certB));
  const refresh = await cli('issuers', 'refresh', 'contoso', '--json');
  assert.equal(refresh.code, 1);
  assert.equal(stdoutJson<Array<{ code: string }>>(refresh)[0]?.code, 'CG_META_KEYS_DISCONTINUOUS');
  return stdoutJson<PendingJson>(await cli('issuers', 'pending', 'contoso', '--json'));
}

async function keyStates(): Promise<Record<string, string>> {
  const shown = stdoutJson<{ keys: Array<{ sha1: string; state: string }> }>(
    await cli('issuers', 'show', 'contoso', '--json'),
  );
  return Object.fromEntries(shown.keys.map((key) => [key.sha1, key.state]));
}

describe('claimsgate issuers pending / approve / reject', () => {
  it('shows the held document with its diff, in text and JSON, and in issuers show', async () => {
    const pending = await holdEmergency();
    assert.equal(pending.decision, 'pending');
    assert.equal(pending.reason, 'unknown-signer-replacement');
    assert.deepEqual(
      pending.added.map((key) => key.sha1),
      [sha1(certB)],
    );
    assert.deepEqual(
      pending.removed.map((key) => key.sha1),
      [sha1(certA)],
    );
    const text = await cli('issuers', 'pending', 'contoso');
    assert.equal(text.code, 0);
    assert.ok(text.stdout.includes(pending.sha256));
    assert.ok(text.stdout.includes(sha1(certB)));
    const show = await cli('issuers', 'show', 'contoso');
    assert.match(show.stdout, /Pending change: +pending, unknown-signer-replacement/);
    assert.match(show.stdout, /Discontinuity: +auto/);
  });

  it('approves only the document reviewed, after asking, and applies it', async () => {
    const pending = await holdEmergency();
    const stale = await cli('issuers', 'approve', 'contoso', '--sha256', 'ab'.repeat(32), '--yes', '--json');
    assert.equal(stale.code, 1);
    assert.equal(errorCode(stale), 'CG_STORE_CONFLICT');
    const unasked = await cli('issuers', 'approve', 'contoso', '--json');
    assert.equal(errorCode(unasked), 'CG_CONFIG_CONFIRMATION_REQUIRED');
    const declined = await runInProcess(['issuers', 'approve', 'contoso', '--db', db.path], {
      confirm: false,
    });
    assert.equal(declined.code, 1);
    assert.equal(
      stdoutJson<PendingJson>(await cli('issuers', 'pending', 'contoso', '--json')).decision,
      'pending',
    );

    const approved = await cli(
      'issuers',
      'approve',
      'contoso',
      '--sha256',
      pending.sha256.toUpperCase(),
      '--yes',
    );
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, /Approved and applied/);
    assert.deepEqual(await keyStates(), { [sha1(certA)]: 'retired', [sha1(certB)]: 'announced' });
    assert.equal((await cli('issuers', 'pending', 'contoso', '--json')).stdout.trim(), 'null');
    const audit = stdoutJson<Array<{ action: string; actor: string }>>(await cli('audit', '--json'));
    assert.deepEqual(
      audit.filter((entry) => entry.action.startsWith('change.')).map((entry) => [entry.action, entry.actor]),
      [
        ['change.held', 'refresh'],
        ['change.approved', 'cli:test'],
        ['change.applied', 'refresh'],
      ],
    );
  });

  it('rejects the document: the issuer keeps its key and the refresh keeps failing without a new alert', async () => {
    const pending = await holdEmergency();
    const rejected = await cli('issuers', 'reject', 'contoso', '--yes', '--json');
    assert.equal(rejected.code, 0, rejected.stderr);
    assert.equal(stdoutJson<PendingJson>(rejected).decision, 'rejected');
    assert.equal(stdoutJson<PendingJson>(rejected).decidedBy, 'cli:test');
    const again = await cli('issuers', 'refresh', 'contoso', '--json');
    const [outcome] = stdoutJson<Array<{ code: string; alerts: Array<{ kind: string }> }>>(again);
    assert.equal(outcome?.code, 'CG_META_KEYS_DISCONTINUOUS');
    assert.deepEqual(
      outcome?.alerts.filter((alert) => alert.kind === 'keys-discontinuous'),
      [],
    );
    assert.deepEqual(await keyStates(), { [sha1(certA)]: 'announced' });
    assert.equal(
      stdoutJson<PendingJson>(await cli('issuers', 'pending', 'contoso', '--json')).sha256,
      pending.sha256,
    );
  });

  it('says when there is nothing pending, and refuses to approve nothing', async () => {
    assert.equal((await cli('issuers', 'add', 'contoso', '--metadata-url', server.url, '--yes')).code, 0);
    const none = await cli('issuers', 'pending', 'contoso');
    assert.match(none.stdout, /has no pending change/);
    const approve = await cli('issuers', 'approve', 'contoso', '--yes', '--json');
    assert.equal(errorCode(approve), 'CG_STORE_NOT_FOUND');
    const bad = await cli('issuers', 'approve', 'contoso', '--sha256', 'xyz', '--yes');
    assert.equal(bad.code, 2);
  });

  it('sets the discontinuity policy with --on-discontinuity, and applies an emergency switch under accept-with-alert', async () => {
    const add = await cli(
      'issuers',
      'add',
      'contoso',
      '--metadata-url',
      server.url,
      '--on-discontinuity',
      'hold',
      '--yes',
    );
    assert.equal(add.code, 0, add.stderr);
    const shown = stdoutJson<{ issuer: { discontinuityPolicy: string } }>(
      await cli('issuers', 'show', 'contoso', '--json'),
    );
    assert.equal(shown.issuer.discontinuityPolicy, 'hold');
    assert.equal((await cli('issuers', 'edit', 'contoso', '--on-discontinuity', 'never')).code, 2);
    const edit = await cli('issuers', 'edit', 'contoso', '--on-discontinuity', 'accept-with-alert');
    assert.equal(edit.code, 0, edit.stderr);
    server.setMode(publishing(certB));
    const refresh = await cli('issuers', 'refresh', 'contoso', '--json');
    assert.equal(refresh.code, 0);
    const [outcome] = stdoutJson<Array<{ alerts: Array<{ kind: string; severity: string }> }>>(refresh);
    assert.ok(
      outcome?.alerts.some((alert) => alert.kind === 'keys-discontinuous' && alert.severity === 'critical'),
    );
    assert.deepEqual(await keyStates(), { [sha1(certA)]: 'retired', [sha1(certB)]: 'announced' });
  });
});
