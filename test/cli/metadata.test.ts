import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { runInProcess } from '../helpers/cli.js';
import { readFixture, fixturePath } from '../helpers/fixtures.js';

const ADFS2016 = fixturePath('metadata/adfs2016.federationmetadata.xml');

describe('claimsgate metadata', () => {
  let server: Server;
  let base = '';
  before(async () => {
    server = createServer((request, response) => {
      if (request.url === '/federationmetadata.xml') {
        response.setHeader('content-type', 'application/xml');
        response.end(readFixture('metadata/aad-tenant.federationmetadata.xml'));
      } else {
        response.statusCode = 404;
        response.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('shows the issuer, passive endpoint, signature status and signing keys with days left', async () => {
    const run = await runInProcess(['metadata', ADFS2016, '--now', '2018-01-01T00:00:00Z']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Issuer: +http:\/\/fs\.msidlab11\.com\/adfs\/services\/trust/);
    assert.match(run.stdout, /WS-Fed passive endpoint: https:\/\/fs\.msidlab11\.com\/adfs\/ls\//);
    assert.match(run.stdout, /Signature: +valid, signed by D5FE73910389B58BBB3B0EBB87FDF110FF79FEBB/);
    assert.match(run.stdout, /D5FE73910389B58BBB3B0EBB87FDF110FF79FEBB +2017-01-23 → 2018-01-23 +22 /);
    assert.match(run.stdout, /Encryption keys \(1, never trusted for signatures\)/);
  });

  it('prints the normalised model as JSON', async () => {
    const run = await runInProcess(['metadata', ADFS2016, '--json', '--now', '2018-01-01T00:00:00Z']);
    const model = JSON.parse(run.stdout) as {
      format: string;
      signingKeys: Array<{ sha1: string; daysLeft: number; sections: string[] }>;
      signature: { status: string; signerIsAdvertisedKey: boolean };
    };
    assert.equal(model.format, 'wsfed-metadata');
    assert.deepEqual(
      model.signingKeys.map((k) => [k.sha1, k.daysLeft]),
      [['D5FE73910389B58BBB3B0EBB87FDF110FF79FEBB', 22]],
    );
    assert.equal(model.signature.status, 'valid');
    assert.equal(model.signature.signerIsAdvertisedKey, true);
  });

  it('fetches a loopback http URL', async () => {
    const run = await runInProcess(['metadata', `${base}/federationmetadata.xml`, '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as { signingKeys: unknown[] }).signingKeys.length, 2);
  });

  it('reports an HTTP error as a coded error with the URL', async () => {
    const run = await runInProcess(['metadata', `${base}/missing.xml`, '--json']);
    assert.equal(run.code, 1);
    const { error } = JSON.parse(run.stderr) as { error: { code: string; detail: { url: string } } };
    assert.equal(error.code, 'CG_META_HTTP_STATUS');
    assert.equal(error.detail.url, `${base}/missing.xml`);
  });

  it('refuses plain http to a non-loopback host without --allow-http, before any network access', async () => {
    const run = await runInProcess(['metadata', 'http://idp.example.com/metadata.xml'], {
      fetch: () => Promise.reject(new Error('must not be called')),
    });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /CG_META_URL_INSECURE/);
  });

  it('accepts a pinned signer that signed the document, and refuses one that did not', async () => {
    const ok = await runInProcess([
      'metadata',
      ADFS2016,
      '--pin-signer',
      'd5:fe:73:91:03:89:b5:8b:bb:3b:0e:bb:87:fd:f1:10:ff:79:fe:bb',
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    const refused = await runInProcess([
      'metadata',
      ADFS2016,
      '--pin-signer',
      '5CC6722B351E6BC48C1D54701487D1AD8BECEDE9',
    ]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /CG_META_SIGNER_NOT_PINNED/);
  });

  it('refuses a tampered document under a pinned signer and reports it as invalid otherwise', async () => {
    const tampered = readFixture('metadata/adfs2016.federationmetadata.xml')
      .toString('utf8')
      .replace('https://fs.msidlab11.com/adfs/ls/', 'https://evil.example/adfs/ls/');
    const report = await runInProcess(['metadata', '-', '--json'], { stdin: tampered });
    assert.equal(report.code, 0);
    const signature = (JSON.parse(report.stdout) as { signature: { status: string; reason: string } })
      .signature;
    assert.equal(signature.status, 'invalid');
    assert.equal(signature.reason, 'CG_SIG_DIGEST_MISMATCH');
    const pinned = await runInProcess(
      ['metadata', '-', '--pin-signer', 'D5FE73910389B58BBB3B0EBB87FDF110FF79FEBB'],
      {
        stdin: tampered,
      },
    );
    assert.equal(pinned.code, 1);
    assert.match(pinned.stderr, /CG_META_SIGNATURE_INVALID/);
  });

  it('shows a JWKS with kids and no signature', async () => {
    const run = await runInProcess(['metadata', fixturePath('metadata/entra-common.jwks.json')]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Signing keys \(7\)/);
    assert.match(run.stdout, /Signature: +not applicable/);
  });

  it('refuses an EntitiesDescriptor without --entity-id by listing its entities', async () => {
    const entity = (id: string): string =>
      `<md:EntityDescriptor entityID="${id}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>`;
    const document = `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">${entity('https://a.example/')}${entity('https://b.example/')}</md:EntitiesDescriptor>`;
    const run = await runInProcess(['metadata', '-', '--json'], { stdin: document });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /CG_META_ENTITY_AMBIGUOUS/);
    const selected = await runInProcess(['metadata', '-', '--entity-id', 'https://b.example/', '--json'], {
      stdin: document,
    });
    assert.equal(selected.code, 0, selected.stderr);
    assert.equal((JSON.parse(selected.stdout) as { issuer: string }).issuer, 'https://b.example/');
  });
});

describe('claimsgate doctor', () => {
  const AAD = fixturePath('metadata/aad-tenant.federationmetadata.xml');
  const at = ['--now', '2015-06-01T00:00:00Z'];

  it('exits 0 when every published key is configured', async () => {
    const run = await runInProcess([
      'doctor',
      AAD,
      '--thumbprint',
      '3270BF5597004DF339A4E62224731B6BD82810A6',
      '--thumbprint',
      '92:B8:8C:3D:D9:81:BF:1E:BC:B2:44:FC:FA:63:C0:07:70:6C:79:E0',
      ...at,
    ]);
    assert.equal(run.code, 0, run.stdout);
    assert.match(run.stdout, /HEALTHY/);
  });

  it('exits 1 and names the missing key when one published key is not configured', async () => {
    const run = await runInProcess([
      'doctor',
      AAD,
      '--thumbprint',
      '\u200e3270bf5597004df339a4e62224731b6bd82810a6',
      ...at,
    ]);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /AT RISK/);
    assert.match(run.stdout, /92B88C3DD981BF1EBCB244FCFA63C007706C79E0/);
    assert.match(run.stdout, /U\+200E/);
  });

  it('prints the diagnosis as JSON', async () => {
    const run = await runInProcess(['doctor', AAD, '--thumbprint', '00'.repeat(20), '--json', ...at]);
    assert.equal(run.code, 1);
    const diagnosis = JSON.parse(run.stdout) as { verdict: string; findings: Array<{ status: string }> };
    assert.equal(diagnosis.verdict, 'broken');
    assert.equal(diagnosis.findings[0]!.status, 'not-published');
  });

  it('is a usage error without --thumbprint', async () => {
    assert.equal((await runInProcess(['doctor', AAD])).code, 2);
  });
});
