/**
 * Security review 9: "Refresh all" (`RolloverEngine.refreshAll`, `POST
 * /admin/api/issuers/refresh`) answers only when every issuer is fetched —
 * tens of seconds with 10,000 issuers. A second call made meanwhile (a client
 * that timed out and asked again, a second administrator, a double click)
 * starts a run of its own: it shares only the fetches in flight at the same
 * moment, so it fetches every issuer the first run has already done again, and
 * with both runs going twice as many fetches are under way at once. Each
 * repeated call adds a full round of fetches against every identity provider.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRolloverEngine } from '../../src/rollover/rollover-engine.js';
import { openStore } from '../../src/store/open-store.js';
import { createTestCertificate, type TestCertificate } from '../helpers/certificates.js';
import { buildFederationMetadata } from '../helpers/federation-metadata.js';

const ISSUERS = 12;

let cert: TestCertificate;
let directory: string;

before(async () => {
  cert = await createTestCertificate({ commonName: 'signing' });
  directory = mkdtempSync(join(tmpdir(), 'claimsgate-sr9-refresh-all-'));
});
after(() => rmSync(directory, { recursive: true, force: true }));

async function eventually(condition: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt += 1) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('security review 9: refresh all, asked for again while it runs', () => {
  it('a second refresh all during the first fetches no issuer twice (fails: a second round)', async () => {
    const store = await openStore(join(directory, 'store.db'));
    let fetches = 0;
    let inFlight = 0;
    let most = 0;
    const held: (() => void)[] = [];
    const fetch = async (input: string | URL | Request): Promise<Response> => {
      const url = String(input instanceof Request ? input.url : input);
      fetches += 1;
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise<void>((resolve) => held.push(resolve));
      inFlight -= 1;
      const tenant = /tenant-\d+/.exec(url)![0];
      const body = buildFederationMetadata({
        entityId: `https://idp.test/${tenant}/`,
        signingCertificates: [cert.base64],
      });
      return new Response(body, { headers: { 'content-type': 'application/samlmetadata+xml' } });
    };
    const release = (): number => {
      const waiting = held.splice(0);
      for (const resolve of waiting) resolve();
      return waiting.length;
    };
    const engine = createRolloverEngine({ store, fetch, logger: () => undefined, random: () => 0.5 });
    try {
      for (let index = 0; index < ISSUERS; index += 1)
        await store.createIssuer(
          {
            name: `tenant-${index}`,
            issuerUri: `https://idp.test/tenant-${index}/`,
            metadataUrl: `https://idp.test/tenant-${index}/metadata.xml`,
          },
          'admin:test',
        );
      const first = engine.refreshAll({ concurrency: 2 });
      // The first run is half done when the second call comes.
      while (fetches < ISSUERS / 2) {
        await eventually(() => held.length > 0, 'a fetch under way');
        release();
      }
      const second = engine.refreshAll({ concurrency: 2 });
      let settled = false;
      void Promise.all([first, second]).finally(() => (settled = true));
      await eventually(() => {
        release();
        return settled;
      }, 'both calls answered');
      const [a, b] = await Promise.all([first, second]);
      assert.equal(a.length, ISSUERS);
      assert.equal(b.length, ISSUERS);
      assert.equal(fetches, ISSUERS, 'each issuer fetched once');
      assert.ok(most <= 2, `at most two fetches at once (${most})`);
    } finally {
      release();
      await engine.stop();
      await store.close();
    }
  });
});
