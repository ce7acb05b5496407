import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseCertificateBase64 } from '../../src/crypto/certificate.js';
import { runInProcess } from '../helpers/cli.js';
import { createTestCertificate } from '../helpers/certificates.js';
import { buildFederationMetadata } from '../helpers/federation-metadata.js';
import type { MetadataServer } from '../helpers/metadata-server.js';
import {
  ADFS_ISSUER,
  ADFS_METADATA,
  ADFS_VALID_AT,
  createTempDatabase,
  serveAdfsMetadata,
  type TempDatabase,
} from './store-cli.js';

describe('claimsgate watch', () => {
  let server: MetadataServer;
  let db: TempDatabase;
  before(async () => {
    server = await serveAdfsMetadata();
    db = createTempDatabase();
  });
  after(async () => {
    await server.close();
    db.remove();
  });

  it('refreshes the issuers at start and prints the changes of trust as they are written', async () => {
    const add = await runInProcess(
      [
        'issuers',
        'add',
        'adfs',
        '--metadata-url',
        server.url,
        '--on-discontinuity',
        'accept-with-alert',
        '--yes',
        '--db',
        db.path,
      ],
      { now: ADFS_VALID_AT },
    );
    assert.equal(add.code, 0, add.stderr);

    // The issuer publishes a new key before claimsgate starts watching, signing its metadata
    // with it at once (a manual AD FS rollover: the real farm's private key is not ours to
    // sign with). That is a discontinuity, applied here with its alert by the issuer's policy.
    const successor = await createTestCertificate({ commonName: 'ADFS Signing - next' });
    const current = parseCertificateBase64(/<X509Certificate>([^<]+)</.exec(ADFS_METADATA)![1]!);
    server.setMode({
      kind: 'document',
      body: buildFederationMetadata({
        entityId: ADFS_ISSUER,
        signingCertificates: [current.der.toString('base64'), successor.base64],
        signer: { privateKey: successor.privateKey, certificatePem: successor.pem },
      }),
    });

    const run = await runInProcess(['watch', '--db', db.path, '--duration', '1', '--poll', '100']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Watching 1 issuer \(sqlite\)/);
    const added = run.stdout.split('\n').find((line) => line.includes('key.added'));
    assert.ok(added, run.stdout);
    assert.match(added, /adfs/);
    assert.match(added, /\(refresh\)$/);
    // Entries written before the watch began are not printed again.
    assert.doesNotMatch(run.stdout, /issuer\.created/);
  });

  it('prints audit entries as JSON lines with --json', async () => {
    const run = await runInProcess([
      'watch',
      '--db',
      db.path,
      '--duration',
      '0.5',
      '--poll',
      '100',
      '--json',
    ]);
    assert.equal(run.code, 0, run.stderr);
    for (const line of run.stdout.trim().split('\n').filter(Boolean)) {
      const entry = JSON.parse(line) as { action: string; id: number };
      assert.equal(typeof entry.id, 'number');
    }
  });

  it('is a usage error for a nonsensical duration', async () => {
    assert.equal((await runInProcess(['watch', '--db', db.path, '--duration', '-3'])).code, 2);
  });
});
