import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runInProcess } from '../helpers/cli.js';
import { fixturePath } from '../helpers/fixtures.js';

const OFFICE365 = fixturePath('interop/office365.saml20-assertion.xml');
const ISSUER = 'https://sts.windows.net/75696069-df44-4310-9bcf-08b45e3007c9/';
const trustArgs = [
  '--issuer',
  ISSUER,
  '--audience',
  'spn:408153f4-5960-43dc-9d4f-6b717d772c8d',
  '--now',
  '2013-04-02T18:50:24Z',
  '--allow-sha1',
];

describe('claimsgate validate', () => {
  it('prints the identity of a token signed by a trusted thumbprint (pasted with U+200E)', async () => {
    const run = await runInProcess([
      'validate',
      OFFICE365,
      '--thumbprint',
      '\u200e3464c5bdd2be7f2b6112e2f08e9c0024e33d9fe0',
      ...trustArgs,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^VALID saml20-assertion token/);
    assert.match(run.stdout, /Signed by: +SHA-1 3464C5BDD2BE7F2B6112E2F08E9C0024E33D9FE0/);
  });

  it('prints the identity as JSON', async () => {
    const run = await runInProcess([
      'validate',
      OFFICE365,
      '--thumbprint',
      '3464C5BDD2BE7F2B6112E2F08E9C0024E33D9FE0',
      ...trustArgs,
      '--json',
    ]);
    const identity = JSON.parse(run.stdout) as {
      issuer: string;
      subject: string;
      claims: Record<string, string[]>;
    };
    assert.equal(identity.issuer, ISSUER);
    assert.equal(identity.subject, '10030000838D23AF@MicrosoftOnline.com');
    assert.deepEqual(identity.claims['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname'], [
      'Matias',
    ]);
  });

  it('explains an unknown key: the token thumbprint, the issuer and what is trusted, with exit 1', async () => {
    const run = await runInProcess([
      'validate',
      OFFICE365,
      '--thumbprint',
      '00'.repeat(20),
      ...trustArgs,
      '--json',
    ]);
    assert.equal(run.code, 1);
    const { error } = JSON.parse(run.stderr) as {
      error: {
        code: string;
        detail: { issuer: string; observed: { sha1: string }; expected: Array<{ sha1: string }> };
      };
    };
    assert.equal(error.code, 'CG_TRUST_KEY_UNKNOWN');
    assert.equal(error.detail.issuer, ISSUER);
    assert.equal(error.detail.observed.sha1, '3464C5BDD2BE7F2B6112E2F08E9C0024E33D9FE0');
    assert.deepEqual(
      error.detail.expected.map((key) => key.sha1),
      ['00'.repeat(20)],
    );
  });

  it('rejects the token at the current time as expired', async () => {
    const args = trustArgs.filter((arg, index) => arg !== '--now' && trustArgs[index - 1] !== '--now');
    const run = await runInProcess([
      'validate',
      OFFICE365,
      '--thumbprint',
      '3464C5BDD2BE7F2B6112E2F08E9C0024E33D9FE0',
      ...args,
    ]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /CG_TOKEN_EXPIRED/);
  });

  it('validates a base64 SAML Response against a certificate file with recipient and destination', async () => {
    const run = await runInProcess([
      'validate',
      fixturePath('interop/siteminder.saml20-response.b64'),
      '--certificate',
      fixturePath('interop/siteminder.pem'),
      '--issuer',
      'https://partnership-dev.pwcinternal.com',
      '--audience',
      'urn:auth0:pwctest:SiteminderDev',
      '--recipient',
      'https://pwctest.auth0.com/login/callback?connection=SiteminderDev',
      '--now',
      '2014-08-12T03:18:51Z',
      '--allow-sha1',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^VALID saml20-response token/);
  });

  it('is a usage error without any trust, or with a thumbprint but no issuer', async () => {
    assert.equal((await runInProcess(['validate', OFFICE365, '--audience', 'x'])).code, 2);
    assert.equal(
      (await runInProcess(['validate', OFFICE365, '--audience', 'x', '--thumbprint', '00'.repeat(20)])).code,
      2,
    );
  });
});
