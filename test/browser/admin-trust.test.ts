/**
 * Changes of trust on the admin site in Debian's Chromium, driven as an
 * operator drives them (labelled fields, buttons and links by role and
 * name): adding an issuer from its metadata URL after a diff preview,
 * adding a key from a thumbprint pasted with an invisible U+200E, and
 * revoking a key with a reason, then finding it in the audit log. See
 * admin-flows.test.ts for signing in and out, "Refresh now" and the
 * navigation.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { parseCertificateDer, type CertificateInfo } from '../../src/crypto/certificate.js';
import { DEFAULT_TENANT } from '../../src/idp-sim/idp-sim-server.js';
import {
  ADMIN_ACTOR,
  createAdminAccount,
  filterAuditLog,
  flashText,
  heading,
  rowWith,
  signInAdmin,
} from '../helpers/admin-browser.js';
import { describeInBrowser, navigateBy, screenshot } from '../helpers/browser.js';
import { createTestCertificate } from '../helpers/certificates.js';
import { SETUP_ACTOR, startLiveGateway, type LiveGateway } from '../helpers/live-gateway.js';

/** The simulator tenant an admin adds as a new issuer from its metadata URL. */
const IMPORT_TENANT = 'import-tenant';
const IMPORTED = 'import-aad';
/** An issuer without metadata whose keys are entered by hand: the Add-a-key flow. */
const HAND_KEPT = 'hand-kept';
/** An issuer without metadata holding one manual key: the Revoke flow. */
const OLD_ADFS = 'old-adfs';

/** `ab cd ef …`: a thumbprint as the Windows certificate dialog shows it (lower case, pairs). */
function spacedPairs(thumbprint: string): string {
  return (thumbprint.toLowerCase().match(/../g) ?? []).join(' ');
}

describeInBrowser('the admin site in a browser: import, add a key, revoke', (suite) => {
  let gateway: LiveGateway;
  /** The certificate whose thumbprint is pasted with a U+200E in front. */
  let pasted: CertificateInfo;
  /** The manual key of `old-adfs`, revoked through the site. */
  let compromised: CertificateInfo;

  before(async () => {
    pasted = parseCertificateDer((await createTestCertificate({ commonName: 'hand-kept signing' })).der);
    compromised = parseCertificateDer((await createTestCertificate({ commonName: 'old-adfs signing' })).der);
    gateway = await startLiveGateway({
      refreshIntervalSeconds: 3_600,
      simulator: { tenants: [DEFAULT_TENANT, IMPORT_TENANT] },
      issuers: () => [
        { name: HAND_KEPT, issuerUri: 'urn:claimsgate:test:hand-kept' },
        { name: OLD_ADFS, issuerUri: 'urn:claimsgate:test:old-adfs' },
      ],
      setup: async ({ store }) => {
        await createAdminAccount(store);
        const adfs = await store.getIssuer(OLD_ADFS);
        assert.ok(adfs !== undefined);
        await store.addKey(
          {
            issuerId: adfs.id,
            sha1: compromised.sha1,
            sha256: compromised.sha256,
            certificateDer: compromised.der,
            subject: compromised.subject,
            notBefore: compromised.notBefore,
            notAfter: compromised.notAfter,
            source: 'manual',
            state: 'active',
          },
          SETUP_ACTOR,
        );
      },
    });
  });
  after(() => gateway?.close());

  suite.it(
    'adds an issuer from a metadata URL after a preview of its keys, then lists the keys on its page',
    async (page) => {
      const urls = gateway.sim.tenantUrls(IMPORT_TENANT);
      const published = (
        gateway.sim.keys().find((tenant) => tenant.tenant === IMPORT_TENANT)?.keys ?? []
      ).map((key) => key.sha1.toUpperCase());
      assert.ok(published.length > 0, `the simulator publishes no key for ${IMPORT_TENANT}`);

      await signInAdmin(page, gateway.gatewayUrl, '/admin');
      await navigateBy(page, () => page.getByRole('link', { name: 'Add an issuer from metadata' }).click());
      assert.equal(await heading(page).innerText(), 'Add an issuer');
      await page.getByLabel(/^Name/).fill(IMPORTED);
      await page.getByLabel(/^Metadata URL/).fill(urls.federationMetadata);
      await navigateBy(page, () => page.getByRole('button', { name: 'Preview' }).click());

      // The preview: nothing stored yet, the proposed fields, every published key "added".
      assert.equal(await heading(page).innerText(), `Preview: new issuer ${IMPORTED}`);
      assert.equal(await gateway.store.getIssuer(IMPORTED), undefined, 'a preview stores nothing');
      const fields = page.getByRole('table', { name: 'Issuer fields: current and proposed' });
      assert.ok((await rowWith(fields, 'Issuer URI').innerText()).includes(urls.entityId));
      const keys = page.getByRole('table', {
        name: `Keys: ${published.length} added, 0 unchanged, 0 no longer published`,
      });
      for (const sha1 of published) {
        assert.match(await rowWith(keys, sha1).innerText(), /\badded\b/, `${sha1} is shown as added`);
      }
      await screenshot(page, 'admin-import-preview');

      await navigateBy(page, () => page.getByRole('button', { name: `Create issuer ${IMPORTED}` }).click());
      assert.equal(new URL(page.url()).pathname, `/admin/issuers/${IMPORTED}`);
      assert.equal(await heading(page).innerText(), `Issuer ${IMPORTED}`);
      assert.equal(
        await flashText(page),
        `Created issuer ${IMPORTED}; refresh success, ${published.length} usable key(s).`,
      );
      const table = page.getByRole('table', { name: `Keys of ${IMPORTED} (${published.length})` });
      for (const sha1 of published) {
        const row = rowWith(table, sha1);
        assert.equal(await row.count(), 1, `${sha1} is listed once`);
        assert.match(await row.innerText(), /\bmetadata\b/);
      }
      await screenshot(page, 'admin-issuer');
    },
  );

  suite.it(
    'makes a U+200E in a pasted thumbprint visible on the Check page and adds the clean thumbprint',
    async (page) => {
      const typed = `\u200e${spacedPairs(pasted.sha1)}`;
      await signInAdmin(page, gateway.gatewayUrl, `/admin/issuers/${HAND_KEPT}`);
      const addKey = page.getByRole('form', { name: 'Add a key' });
      await addKey.getByLabel(/^Certificate or thumbprint/).fill(typed);
      await navigateBy(page, () => addKey.getByRole('button', { name: 'Check' }).click());

      assert.equal(await heading(page).innerText(), `Check the key for ${HAND_KEPT}`);
      const normalised = page.getByRole('region', { name: 'Normalised thumbprint' });
      const facts = await normalised.innerText();
      assert.match(facts, new RegExp(`\\b${pasted.sha1}\\b`), 'the clean value is shown');
      assert.match(facts, /SHA-1 \(40 hexadecimal digits\)/);
      assert.match(facts, /1 invisible or unusual character/);
      // What was pasted, with the mark shown as a badge where it was: in front.
      const shown = String(await normalised.locator('code.pasted').textContent());
      assert.equal(shown, `U+200E LEFT-TO-RIGHT MARK${spacedPairs(pasted.sha1)}`);
      const removed = page.getByRole('region', { name: /^Characters removed/ });
      const removedText = await removed.innerText();
      assert.match(removedText, /U\+200E LEFT-TO-RIGHT MARK at position 1/);
      assert.match(removedText, /U\+0020 SPACE ×19 at positions 4, 7,/);
      await screenshot(page, 'admin-thumbprint-check');

      const state = page.getByLabel('State of the new key');
      assert.equal(await state.inputValue(), 'active');
      await navigateBy(page, () =>
        page.getByRole('button', { name: `Add SHA-1 thumbprint to ${HAND_KEPT}` }).click(),
      );
      assert.equal(new URL(page.url()).pathname, `/admin/issuers/${HAND_KEPT}`);
      assert.equal(await flashText(page), `Added key ${pasted.sha1} to ${HAND_KEPT} (active).`);
      const row = rowWith(page.getByRole('table', { name: `Keys of ${HAND_KEPT} (1)` }), pasted.sha1);
      const rowText = await row.innerText();
      assert.match(rowText, /\bactive\b/);
      assert.match(rowText, /\bmanual\b/);
      assert.ok(rowText.includes(`added by ${ADMIN_ACTOR}`), 'the admin added it');
      assert.ok(!(await row.textContent().then(String)).includes('\u200e'), 'no mark is stored or shown');
      const stored = await gateway.store.listKeys((await gateway.store.getIssuer(HAND_KEPT))!.id);
      assert.deepEqual(
        stored.map((key) => key.sha1),
        [pasted.sha1],
      );
    },
  );

  suite.it(
    'revokes a key with a reason after a confirmation, and the audit log shows the admin revoked it',
    async (page) => {
      const reason = 'private key found in a support ticket';
      await signInAdmin(page, gateway.gatewayUrl, '/admin');
      await navigateBy(page, () => page.getByRole('link', { name: OLD_ADFS, exact: true }).click());
      const keys = page.getByRole('table', { name: `Keys of ${OLD_ADFS} (1)` });
      const row = rowWith(keys, compromised.sha1);
      await navigateBy(page, () => row.getByRole('link', { name: /^Revoke key / }).click());

      // The confirmation step: the key, a warning that it is the last usable one, a required reason.
      assert.equal(await heading(page).innerText(), `Revoke a key of ${OLD_ADFS}?`);
      const confirm = await page.getByRole('main').innerText();
      assert.ok(confirm.includes(compromised.sha1), 'the key to revoke is shown');
      assert.match(confirm, /only usable key/);
      assert.equal(
        (await gateway.store.listKeys((await gateway.store.getIssuer(OLD_ADFS))!.id))[0]?.state,
        'active',
        'opening the confirmation changes nothing',
      );
      await page.getByLabel(/^Reason/).fill(reason);
      await navigateBy(page, () => page.getByRole('button', { name: 'Revoke key' }).click());

      assert.equal(new URL(page.url()).pathname, `/admin/issuers/${OLD_ADFS}`);
      assert.equal(
        await flashText(page),
        `Revoked key ${compromised.sha1} of ${OLD_ADFS}; it is now revoked.`,
      );
      const revokedRow = rowWith(
        page.getByRole('table', { name: `Keys of ${OLD_ADFS} (1)` }),
        compromised.sha1,
      );
      assert.match(await revokedRow.innerText(), /\brevoked\b/);
      assert.equal(await revokedRow.getByRole('link', { name: /^Reactivate key / }).count(), 1);

      const audit = await filterAuditLog(page, OLD_ADFS, 'key.revoked');
      const entries = audit.getByRole('row').filter({ hasText: 'key.revoked' });
      assert.equal(await entries.count(), 1);
      const entry = await entries.innerText();
      assert.ok(entry.includes(ADMIN_ACTOR), `the admin is the actor: ${entry}`);
      assert.ok(entry.includes(compromised.sha1), 'the key is the subject');
      assert.match(entry, /state: active → revoked/);
      assert.ok(entry.includes(reason), 'the reason is recorded');
      await screenshot(page, 'admin-audit');
    },
  );
});
