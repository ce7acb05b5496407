/**
 * Security review 8: a change's load that fails is not tried again.
 * rollover-engine.ts reloadChanged swaps out the gathered issuer IDs before
 * loading them; when that partial load fails (one store read met a
 * transient CG_STORE_UNAVAILABLE — which load alone can cause, see
 * pool-saturation-forces-outage.test.ts), nothing asks for those issuers
 * again until another change to them or the reconcile, now every 5 minutes
 * (it was 30 s at 2b4e2f3). A key revoked by an administrator keeps
 * validating tokens on this instance meanwhile.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseCertificateDer } from '../../src/crypto/certificate.js';
import { ClaimsgateError } from '../../src/lib/errors.js';
import { createRolloverEngine } from '../../src/rollover/rollover-engine.js';
import { openStore } from '../../src/store/open-store.js';
import { createTestCertificate, type TestCertificate } from '../helpers/certificates.js';

let cert: TestCertificate;
let directory: string;
before(async () => {
  cert = await createTestCertificate({ commonName: 'signing A' });
  directory = mkdtempSync(join(tmpdir(), 'claimsgate-sr8-revoke-'));
});
after(() => rmSync(directory, { recursive: true, force: true }));

describe('security review 8: a revocation whose load failed once', () => {
  it('stops trusting the revoked key within seconds (fails: still trusted)', async () => {
    const store = await openStore(join(directory, 'store.db'));
    const engine = createRolloverEngine({ store, logger: () => undefined, changeDebounceMs: 0 });
    try {
      const issuer = await store.createIssuer(
        { name: 'contoso', issuerUri: 'https://contoso.test/', metadataUrl: null },
        'admin:test',
      );
      const sha1 = parseCertificateDer(cert.der).sha1;
      const key = await store.addKey(
        { issuerId: issuer.id, sha1, source: 'manual', certificateDer: cert.der },
        'admin:test',
      );
      await engine.start();
      assert.equal(engine.snapshot().issuerKeys('https://contoso.test/', 'sha1', sha1).length, 1);
      // One transient failure of the store read the change's load makes.
      const listKeys = store.listKeys.bind(store);
      let failures = 1;
      (store as { listKeys: typeof store.listKeys }).listKeys = (issuerId?: string) =>
        failures-- > 0
          ? Promise.reject(new ClaimsgateError('CG_STORE_UNAVAILABLE', 'connection reset (transient)'))
          : listKeys(issuerId);
      await store.setKeyState(key.id, 'revoked', 'admin:test', 'compromised');
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      assert.equal(failures < 1, true, 'the injected failure was met');
      assert.equal(
        engine.snapshot().issuerKeys('https://contoso.test/', 'sha1', sha1).length,
        0,
        'the revoked key still validates tokens 3 s after the revocation',
      );
    } finally {
      await engine.stop();
      await store.close();
    }
  });
});
