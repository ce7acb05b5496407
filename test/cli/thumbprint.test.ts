import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runInProcess, runProcess } from '../helpers/cli.js';
import { createTestCertificate } from '../helpers/certificates.js';
import { fixturePath } from '../helpers/fixtures.js';

const workDir = mkdtempSync(join(tmpdir(), 'cg-cli-thumbprint-'));

describe('claimsgate thumbprint', () => {
  it('prints the SHA-1 thumbprint of a PEM file as uppercase hex, one line', async () => {
    const run = await runInProcess(['thumbprint', fixturePath('interop/office365.pem')]);
    assert.equal(run.code, 0);
    assert.equal(run.stdout, '3464C5BDD2BE7F2B6112E2F08E9C0024E33D9FE0\n');
  });

  it('prints one line per certificate of a PEM bundle, SHA-256 or both, with colons on request', async () => {
    const a = await createTestCertificate({ commonName: 'a' });
    const b = await createTestCertificate({ commonName: 'b' });
    const file = join(workDir, 'bundle.pem');
    writeFileSync(file, `${a.pem}${b.pem}`);
    const run = await runInProcess(['thumbprint', file, '--alg', 'both', '--format', 'colons']);
    assert.equal(run.code, 0);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^([0-9A-F]{2}:){19}[0-9A-F]{2} ([0-9A-F]{2}:){31}[0-9A-F]{2} {2}CN=a$/);
  });

  it('reads bare base64 from standard input, line breaks and spaces included', async () => {
    const cert = await createTestCertificate();
    const pasted = cert.base64.match(/.{1,60}/g)!.join('\n  ');
    const run = await runInProcess(['thumbprint', '-', '--alg', 'sha256'], { stdin: pasted });
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^[0-9A-F]{64}\n$/);
  });

  it('reads a DER file', async () => {
    const cert = await createTestCertificate();
    const file = join(workDir, 'cert.der');
    writeFileSync(file, cert.der);
    const run = await runInProcess(['thumbprint', file, '--json']);
    const [parsed] = JSON.parse(run.stdout) as Array<Record<string, unknown>>;
    assert.equal(parsed!['keyType'], 'rsa');
    assert.equal(parsed!['keySize'], 2048);
    assert.deepEqual(Object.keys(parsed!), [
      'subject',
      'issuer',
      'serialNumber',
      'notBefore',
      'notAfter',
      'keyType',
      'keySize',
      'sha1',
      'sha256',
    ]);
  });

  it('lists every distinct certificate of Azure AD metadata with the sections it appears in', async () => {
    const run = await runInProcess([
      'thumbprint',
      fixturePath('metadata/aad-common-2017.federationmetadata.xml'),
    ]);
    assert.equal(run.code, 0);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, 3);
    const signer = lines.find((line) => line.startsWith('6B740DD01652EECE2737E05DAE36C5D18FCB74C3'));
    assert.ok(signer);
    for (const section of [
      'Signature',
      'fed:SecurityTokenServiceType (signing)',
      'fed:ApplicationServiceType (signing)',
      'IDPSSODescriptor (signing)',
    ]) {
      assert.ok(signer.includes(section), section);
    }
  });

  it('normalises a pasted thumbprint and says on stderr what it removed', async () => {
    const run = await runInProcess([
      'thumbprint',
      '--normalize',
      '\u200e32 70 bf 55 97 00 4d f3 39 a4 e6 22 24 73 1b 6b d8 28 10 a6',
    ]);
    assert.equal(run.code, 0);
    assert.equal(run.stdout, '3270BF5597004DF339A4E62224731B6BD82810A6\n');
    assert.match(run.stderr, /U\+200E LEFT-TO-RIGHT MARK at position 1/);
  });

  it('refuses a pasted value with other characters, naming each, with exit 1 and a coded error', async () => {
    const run = await runInProcess(['thumbprint', '--normalize', 'SHA1 Fingerprint=AB', '--json']);
    assert.equal(run.code, 1);
    const { error } = JSON.parse(run.stderr) as { error: { code: string; detail: { observed: unknown[] } } };
    assert.equal(error.code, 'CG_TRUST_THUMBPRINT_INVALID');
    assert.ok(error.detail.observed.length > 5);
  });

  it('exits 1 with a coded error for garbage and for a missing file', async () => {
    const garbage = join(workDir, 'garbage.txt');
    writeFileSync(garbage, 'this is not a certificate!');
    const bad = await runInProcess(['thumbprint', garbage]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error CG_CERT_NOT_FOUND:/);
    const missing = await runInProcess(['thumbprint', join(workDir, 'nope.pem')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /CG_CONFIG_INPUT_UNREADABLE/);
  });

  it('exits 1 for hostile XML (a DTD) without reading anything else', async () => {
    const file = join(workDir, 'xxe.xml');
    writeFileSync(file, '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>');
    const run = await runInProcess(['thumbprint', file]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /CG_XML_DTD_FORBIDDEN/);
  });

  it('exits 2 on a usage error', async () => {
    assert.equal((await runInProcess(['thumbprint', '--alg', 'md5', 'x'])).code, 2);
    assert.equal((await runInProcess(['no-such-command'])).code, 2);
  });

  it('works as a real process reading standard input', () => {
    const run = runProcess([
      'thumbprint',
      '--normalize',
      'a9:99:3e:36:47:06:81:6a:ba:3e:25:71:78:50:c2:6c:9c:d0:d8:9d',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'A9993E364706816ABA3E25717850C26C9CD0D89D\n');
    const usage = runProcess(['thumbprint', '--format', 'dots']);
    assert.equal(usage.code, 2);
  });
});
