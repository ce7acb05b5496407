import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createManagementService } from '../../src/management/create-service.js';
import { adminActor, inspectThumbprintInput, type ManagementService } from '../../src/management/service.js';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { createIdpSimulator, type IdpSimulator } from '../../src/idp-sim/idp-sim-server.js';
import { createRolloverEngine } from '../../src/rollover/rollover-engine.js';
import { openStore } from '../../src/store/open-store.js';
import { createTestCertificate, type TestCertificate } from '../helpers/certificates.js';
import { buildFederationMetadata } from '../helpers/federation-metadata.js';
import { readFixture } from '../helpers/fixtures.js';
import { startMetadataServer, type MetadataServer } from '../helpers/metadata-server.js';
import { createGatewayFixture, type GatewayFixture } from '../server/gateway-fixture.js';

const ALICE = adminActor({ user: 'local:alice' });
const LRM = '\u200E';

/** Asserts that `promise` rejects with a ClaimsgateError of `code`, and returns it. */
async function rejectsWith(promise: Promise<unknown>, code: string): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isClaimsgateError(error), `expected a ClaimsgateError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error.detail;
  }
  assert.fail(`expected ${code}, but it resolved`);
}

describe('admin service', () => {
  let fixture: GatewayFixture;
  let service: ManagementService;
  let certificate: TestCertificate;
  let metadata: MetadataServer;
  /** A second identity provider, not registered: what "import a new issuer" imports. */
  let other: IdpSimulator;

  before(async () => {
    fixture = await createGatewayFixture();
    service = createManagementService({ store: fixture.store, engine: fixture.engine, now: fixture.now });
    certificate = await createTestCertificate({ commonName: 'manual key' });
    metadata = await startMetadataServer({ kind: 'status', status: 404 });
    other = await createIdpSimulator({
      port: 0,
      now: fixture.now,
      tenants: ['7d1e5c2a-0b9f-4c3d-8e6a-2f4b1c9d0e7a'],
    });
    await other.start();
  });

  after(async () => {
    await other.stop();
    await metadata.close();
    await fixture.close();
  });

  describe('construction', () => {
    it('refuses a missing store or engine with a TypeError', () => {
      assert.throws(
        () => createManagementService({ engine: fixture.engine } as never),
        (error: unknown) => error instanceof TypeError && /store/.test(error.message),
      );
      assert.throws(
        () => createManagementService({ store: fixture.store } as never),
        (error: unknown) => error instanceof TypeError && /engine/.test(error.message),
      );
    });
  });

  describe('issuers', () => {
    it('lists each issuer with its key counts, next expiry, last refresh and alerts', async () => {
      const [summary] = await service.listIssuers();
      assert.ok(summary);
      assert.equal(summary.issuer.name, 'sim');
      assert.equal(summary.issuer.id, fixture.issuer.id);
      const total = Object.values(summary.keyCounts).reduce((sum, count) => sum + count, 0);
      assert.ok(total >= 1);
      assert.equal(
        summary.usableKeys,
        summary.keyCounts.announced + summary.keyCounts.active + summary.keyCounts.retiring,
      );
      assert.equal(summary.refresh.lastOutcome, 'success');
      assert.equal(summary.refresh.lastSuccessAt, fixture.now().toISOString());
      assert.equal(summary.refresh.lastSuccessAgeSeconds, 0);
      assert.ok(summary.nextExpiry !== null);
      assert.match(summary.nextExpiry.thumbprint, /^[0-9A-F]{40}$/);
      assert.equal(typeof summary.nextExpiry.daysLeft, 'number');
      assert.ok(Array.isArray(summary.alerts));
    });

    it('shows one issuer by name with its keys, thumbprints, metadata sightings, snapshot and mappings', async () => {
      const detail = await service.getIssuer('sim');
      assert.equal(detail.issuer.issuerUri, fixture.issuer.issuerUri);
      assert.ok(detail.keys.length >= 1);
      const key = detail.keys[0]!;
      assert.equal(key.source, 'metadata');
      assert.match(key.sha1 ?? '', /^[0-9A-F]{40}$/);
      assert.match(key.sha256 ?? '', /^[0-9A-F]{64}$/);
      assert.ok(key.subject !== null && key.subject.startsWith('CN='));
      assert.equal(key.lastSeenInMetadataAt, fixture.now().toISOString());
      assert.equal(key.firstSeenAt, fixture.now().toISOString());
      assert.equal(key.usable, true);
      assert.equal(detail.snapshot?.url, fixture.issuer.metadataUrl);
      assert.match(detail.snapshot?.sha256 ?? '', /^[0-9a-f]{64}$/);
      assert.deepEqual(
        detail.mappings.map((mapping) => [mapping.label, mapping.issuerName]),
        [['SIM', 'sim']],
      );
      assert.deepEqual(await service.getIssuer(fixture.issuer.id), detail);
    });

    it('refuses an unknown issuer with CG_STORE_NOT_FOUND', async () => {
      await rejectsWith(service.getIssuer('nobody'), 'CG_STORE_NOT_FOUND');
    });

    it('creates, updates against a version, and deletes an issuer, each audited under the admin', async () => {
      const created = await service.createIssuer(
        { name: 'manual', issuerUri: 'https://manual.example/', protocols: ['saml2'] },
        ALICE,
      );
      assert.equal(created.issuer.metadataUrl, null);
      assert.equal(created.keys.length, 0);
      assert.equal(created.refresh.lastOutcome, null);
      const updated = await service.updateIssuer(
        'manual',
        { description: 'entered by hand' },
        ALICE,
        created.issuer.version,
      );
      assert.equal(updated.issuer.description, 'entered by hand');
      await rejectsWith(
        service.updateIssuer('manual', { description: 'stale' }, ALICE, created.issuer.version),
        'CG_STORE_CONFLICT',
      );
      await rejectsWith(service.updateIssuer('manual', {}, ALICE), 'CG_ADMIN_INPUT_INVALID');
      await rejectsWith(
        service.createIssuer({ name: 'manual', issuerUri: 'https://other.example/' }, ALICE),
        'CG_STORE_DUPLICATE',
      );
      await rejectsWith(service.refreshIssuer('manual', ALICE), 'CG_ADMIN_INPUT_INVALID');
      await service.deleteIssuer('manual', ALICE);
      await rejectsWith(service.getIssuer('manual'), 'CG_STORE_NOT_FOUND');
      const audit = await service.listAudit({ actor: ALICE, action: 'issuer.' });
      assert.deepEqual(
        audit.entries.map((entry) => entry.action),
        ['issuer.created', 'issuer.updated', 'issuer.deleted'],
      );
    });

    it('refreshes now with force, and the audit log names the admin who asked', async () => {
      const outcome = await service.refreshIssuer('sim', ALICE);
      assert.equal(outcome.issuerId, fixture.issuer.id);
      assert.ok(outcome.outcome === 'success' || outcome.outcome === 'not-modified', outcome.outcome);
      assert.equal(outcome.issuer.issuer.name, 'sim');
      const requested = await service.listAudit({ action: 'issuer.refresh-requested' });
      const last = requested.entries.at(-1);
      assert.equal(last?.actor, ALICE);
      assert.equal(last?.issuerName, 'sim');
      assert.equal(last?.subject, fixture.issuer.metadataUrl);
    });
  });

  describe('thumbprints and keys', () => {
    it('reports every character it removed from a pasted thumbprint, U+200E by name and position', () => {
      const pasted = `${LRM}a9 99 3e 36 47 06 81 6a ba 3e 25 71 78 50 c2 6c 9c d0 d8 9d`;
      const inspection = inspectThumbprintInput(pasted);
      assert.equal(inspection.thumbprint, 'A9993E364706816ABA3E25717850C26C9CD0D89D');
      assert.equal(inspection.algorithm, 'sha1');
      assert.equal(inspection.colons.split(':').length, 20);
      assert.deepEqual(inspection.removed[0], {
        codePoint: 'U+200E',
        position: 1,
        name: 'LEFT-TO-RIGHT MARK',
      });
      assert.equal(inspection.removed.filter((c) => c.name === 'SPACE').length, 19);
      assert.deepEqual(inspection.noteworthy, [
        { codePoint: 'U+200E', position: 1, name: 'LEFT-TO-RIGHT MARK' },
      ]);
      const sha256 = inspectThumbprintInput('ab:'.repeat(31) + 'ab');
      assert.equal(sha256.algorithm, 'sha256');
      assert.equal(sha256.removed.length, 31);
      assert.deepEqual(sha256.noteworthy, []);
    });

    it('refuses a thumbprint with a character that is neither hex nor removable, naming it', () => {
      assert.throws(
        () => inspectThumbprintInput('A9993E364706816ABA3E25717850C26C9CD0D8Z9'),
        (error: unknown) =>
          isClaimsgateError(error, 'CG_TRUST_THUMBPRINT_INVALID') &&
          JSON.stringify(error.detail.observed).includes('"position":39'),
      );
    });

    it('adds a key from a pasted thumbprint and says what was removed', async () => {
      const sha1 = createHash('sha1').update(certificate.der).digest('hex').toUpperCase();
      const added = await service.addKey('sim', { thumbprint: `${LRM}${sha1.toLowerCase()}` }, ALICE);
      assert.equal(added.key.sha1, sha1);
      assert.equal(added.key.sha256, null);
      assert.equal(added.key.source, 'manual');
      assert.equal(added.key.state, 'active');
      assert.equal(added.key.hasCertificate, false);
      assert.equal(added.key.addedBy, ALICE);
      assert.deepEqual(added.thumbprintInput?.noteworthy, [
        { codePoint: 'U+200E', position: 1, name: 'LEFT-TO-RIGHT MARK' },
      ]);
      await rejectsWith(service.addKey('sim', { thumbprint: sha1 }, ALICE), 'CG_STORE_DUPLICATE');
      await service.revokeKey(added.key.id, 'test cleanup', ALICE);
    });

    it('adds a key from a certificate pasted as bare base64 with line breaks', async () => {
      const wrapped = certificate.base64.match(/.{1,64}/g)!.join('\r\n');
      const other = await service.createIssuer(
        { name: 'by-cert', issuerUri: 'https://by-cert.example/' },
        ALICE,
      );
      const added = await service.addKey(other.issuer.id, { certificate: `\n${wrapped}\n` }, ALICE);
      assert.equal(added.thumbprintInput, null);
      assert.equal(added.key.hasCertificate, true);
      assert.equal(added.key.subject, 'CN=manual key');
      assert.match(added.key.sha1 ?? '', /^[0-9A-F]{40}$/);
      assert.equal(added.key.notAfter, '2034-01-01T00:00:00.000Z');
      const fromPem = service.thumbprintsFromText(certificate.pem);
      assert.equal(fromPem.certificates[0]?.sha1, added.key.sha1);
      await service.deleteIssuer('by-cert', ALICE);
    });

    it('refuses a key given both or neither way, an expired certificate, and several certificates at once', async () => {
      await rejectsWith(service.addKey('sim', {}, ALICE), 'CG_ADMIN_INPUT_INVALID');
      await rejectsWith(
        service.addKey('sim', { certificate: certificate.pem, thumbprint: 'AB'.repeat(20) }, ALICE),
        'CG_ADMIN_INPUT_INVALID',
      );
      const expired = await createTestCertificate({ notAfter: new Date('2025-01-01T00:00:00Z') });
      await rejectsWith(service.addKey('sim', { certificate: expired.pem }, ALICE), 'CG_ADMIN_INPUT_INVALID');
      await rejectsWith(
        service.addKey('sim', { certificate: `${certificate.pem}\n${expired.pem}` }, ALICE),
        'CG_ADMIN_INPUT_INVALID',
      );
      await rejectsWith(
        service.addKey('sim', { certificate: 'not a certificate!' }, ALICE),
        'CG_CERT_NOT_FOUND',
      );
    });

    it('revokes a key with a reason, which the audit log keeps, and reactivates it', async () => {
      const other = await service.createIssuer(
        { name: 'revocable', issuerUri: 'https://revocable.example/' },
        ALICE,
      );
      const { key } = await service.addKey(other.issuer.id, { thumbprint: 'CD'.repeat(20) }, ALICE);
      await rejectsWith(service.revokeKey(key.id, '  ', ALICE), 'CG_ADMIN_INPUT_INVALID');
      const revoked = await service.revokeKey(key.id, 'private key leaked', ALICE);
      assert.equal(revoked.state, 'revoked');
      assert.equal(revoked.usable, false);
      const summary = (await service.listIssuers()).find((item) => item.issuer.name === 'revocable');
      assert.equal(summary?.keyCounts.revoked, 1);
      assert.ok(summary?.alerts.some((alert) => alert.kind === 'key-revoked'));
      const entry = (await service.listAudit({ issuer: 'revocable', action: 'key.revoked' })).entries[0];
      assert.equal(entry?.actor, ALICE);
      assert.deepEqual(entry?.after, { state: 'revoked', reason: 'private key leaked' });
      const active = await service.reactivateKey(key.id, 'false alarm', ALICE);
      assert.equal(active.state, 'active');
      await rejectsWith(service.reactivateKey(key.id, 'again', ALICE), 'CG_ADMIN_INPUT_INVALID');
      await rejectsWith(
        service.revokeKey('00000000-0000-4000-8000-000000000000', 'x', ALICE),
        'CG_STORE_NOT_FOUND',
      );
      await service.deleteIssuer('revocable', ALICE);
    });
  });

  describe('import from metadata', () => {
    it('previews a new issuer: every published key to add, the fields proposed, the document digest', async () => {
      const urls = other.tenantUrls();
      const url = urls.federationMetadata;
      const preview = await service.previewImport({ metadataUrl: url, name: 'imported' });
      assert.equal(preview.mode, 'create');
      assert.equal(preview.issuerId, null);
      assert.equal(preview.format, 'wsfed-metadata');
      assert.match(preview.sha256, /^[0-9a-f]{64}$/);
      assert.equal(preview.keySetSha256, null);
      const fields = Object.fromEntries(preview.fields.map((field) => [field.field, field]));
      assert.equal(fields['issuerUri']?.current, null);
      assert.equal(fields['issuerUri']?.proposed, urls.entityId);
      assert.equal(fields['loginUrl']?.proposed, urls.wsfed);
      assert.equal(fields['metadataUrl']?.proposed, url);
      assert.deepEqual(fields['protocols']?.proposed, ['wsfed', 'saml2']);
      assert.equal(fields['issuerUri']?.changed, true);
      const published = other.keys()[0]!.keys;
      assert.equal(preview.keys.add.length, published.length);
      assert.ok(preview.keys.add.every((key) => key.sections.length > 0 && key.keyId === null));
      assert.deepEqual(preview.keys.unchanged, []);
      assert.deepEqual(preview.keys.noLongerPublished, []);
      assert.ok(['valid', 'unsigned'].includes(preview.signature.status));
      assert.equal(preview.signature.policy, 'self-consistent');
      assert.equal(await fixture.store.getIssuer('imported'), undefined, 'a preview stores nothing');
    });

    it('refuses a preview for a name or issuer URI already taken, or without a name or issuer', async () => {
      await rejectsWith(
        service.previewImport({ metadataUrl: other.tenantUrls().federationMetadata, name: 'sim' }),
        'CG_STORE_DUPLICATE',
      );
      const detail = await rejectsWith(
        service.previewImport({ metadataUrl: fixture.issuer.metadataUrl!, name: 'sim-again' }),
        'CG_STORE_DUPLICATE',
      );
      assert.equal(detail['existing'], 'sim');
      await rejectsWith(
        service.previewImport({ metadataUrl: fixture.issuer.metadataUrl! }),
        'CG_ADMIN_INPUT_INVALID',
      );
      await rejectsWith(
        service.previewImport({ metadataUrl: fixture.issuer.metadataUrl!, issuer: 'nobody' }),
        'CG_STORE_NOT_FOUND',
      );
    });

    it('applies a preview: creates the issuer and brings the keys in through a forced refresh, audited', async () => {
      const url = other.tenantUrls().federationMetadata;
      const preview = await service.previewImport({ metadataUrl: url, name: 'imported' });
      const result = await service.applyImport(
        { metadataUrl: url, name: 'imported', expectedSha256: preview.sha256.toUpperCase() },
        ALICE,
      );
      assert.equal(result.created, true);
      assert.deepEqual(result.warnings, []);
      assert.equal(result.refresh.outcome, 'success');
      const detail = result.refresh.issuer;
      assert.equal(detail.issuer.name, 'imported');
      assert.equal(detail.issuer.issuerUri, other.tenantUrls().entityId);
      assert.equal(detail.issuer.metadataUrl, url);
      assert.deepEqual(
        detail.keys.map((key) => key.sha1).sort(),
        preview.keys.add.map((key) => key.sha1).sort(),
      );
      assert.ok(detail.keys.every((key) => key.source === 'metadata' && key.addedBy === 'refresh'));
      assert.equal(detail.snapshot?.sha256, preview.sha256);
      // A new issuer has nothing to be continuous with: its first (unsigned, plain http) document is applied, never held.
      assert.equal(detail.pendingChange, null);
      const audit = await service.listAudit({ issuer: 'imported' });
      const actions = audit.entries.map((entry) => `${entry.actor} ${entry.action}`);
      assert.equal(actions[0], `${ALICE} issuer.created`);
      assert.equal(actions[1], `${ALICE} issuer.imported`);
      assert.ok(
        actions.slice(2).some((action) => action === 'refresh key.added'),
        actions.join('\n'),
      );
      await service.deleteIssuer('imported', ALICE);
    });

    it('previews an update with every key unchanged, then a rollover as one key to add', async () => {
      const url = fixture.issuer.metadataUrl!;
      const same = await service.previewImport({ metadataUrl: url, issuer: 'sim' });
      assert.equal(same.mode, 'update');
      assert.equal(same.issuerId, fixture.issuer.id);
      assert.equal(same.version, (await fixture.store.getIssuer('sim'))?.version);
      assert.deepEqual(same.keys.add, []);
      assert.ok(same.keys.unchanged.length >= 1);
      assert.ok(same.keys.unchanged.every((key) => key.keyId !== null && key.state !== null));
      // The document also advertises SAML 2.0 sign-in, which the issuer was not set up for.
      assert.deepEqual(
        same.fields.filter((field) => field.changed).map((field) => [field.field, field.proposed]),
        [['protocols', ['wsfed', 'saml2']]],
      );

      await fixture.sim.rollover('announce');
      const rolled = await service.previewImport({ metadataUrl: url, issuer: 'sim' });
      assert.notEqual(rolled.sha256, same.sha256);
      assert.equal(rolled.keys.add.length, 1);
      assert.equal(rolled.keys.unchanged.length, same.keys.unchanged.length);

      // The admin reviewed the first document; applying it now must be refused, and change nothing.
      const before = await fixture.store.listKeys(fixture.issuer.id);
      const detail = await rejectsWith(
        service.applyImport({ metadataUrl: url, issuer: 'sim', expectedSha256: same.sha256 }, ALICE),
        'CG_STORE_CONFLICT',
      );
      assert.equal(detail['expected'], same.sha256);
      assert.equal(detail['observed'], rolled.sha256);
      assert.equal((await fixture.store.listKeys(fixture.issuer.id)).length, before.length);

      await rejectsWith(
        service.applyImport(
          {
            metadataUrl: url,
            issuer: 'sim',
            expectedSha256: rolled.sha256,
            expectedVersion: same.version + 1,
          },
          ALICE,
        ),
        'CG_STORE_CONFLICT',
      );
      await rejectsWith(
        service.applyImport({ metadataUrl: url, issuer: 'sim', expectedSha256: 'abc' }, ALICE),
        'CG_ADMIN_INPUT_INVALID',
      );

      const applied = await service.applyImport(
        { metadataUrl: url, issuer: 'sim', expectedSha256: rolled.sha256, expectedVersion: same.version },
        ALICE,
      );
      assert.equal(applied.created, false);
      assert.deepEqual(applied.refresh.issuer.issuer.protocols, ['wsfed', 'saml2']);
      assert.equal(applied.refresh.outcome, 'success');
      const added = rolled.keys.add[0]!;
      const stored = applied.refresh.issuer.keys.find((key) => key.sha256 === added.sha256);
      assert.equal(stored?.state, 'announced');
    });

    it('imports an OpenID Connect issuer from its discovery document, its keys from the key set', async () => {
      const urls = other.tenantUrls();
      const preview = await service.previewImport({
        metadataUrl: urls.openIdConfiguration,
        name: 'other-oidc',
      });
      assert.equal(preview.format, 'oidc-discovery');
      assert.equal(preview.keySetUrl, urls.jwks);
      assert.match(preview.keySetSha256 ?? '', /^[0-9a-f]{64}$/);
      assert.equal(preview.signature.status, 'absent');
      const fields = Object.fromEntries(preview.fields.map((field) => [field.field, field.proposed]));
      assert.equal(fields['issuerUri'], urls.oidcIssuer);
      assert.deepEqual(fields['protocols'], ['oidc']);
      assert.equal(fields['loginUrl'], urls.authorize);
      assert.ok(preview.keys.add.length >= 1);
      assert.ok(preview.keys.add.every((key) => key.kid !== null && key.sections.includes('jwks')));

      await rejectsWith(
        service.applyImport(
          { metadataUrl: urls.openIdConfiguration, name: 'other-oidc', expectedSha256: preview.sha256 },
          ALICE,
        ),
        'CG_ADMIN_INPUT_INVALID',
      );
      const result = await service.applyImport(
        {
          metadataUrl: urls.openIdConfiguration,
          name: 'other-oidc',
          expectedSha256: preview.sha256,
          expectedKeySetSha256: preview.keySetSha256!,
        },
        ALICE,
      );
      assert.deepEqual(result.warnings, []);
      assert.equal(result.refresh.outcome, 'success');
      assert.deepEqual(
        result.refresh.issuer.keys.map((key) => key.kid).sort(),
        preview.keys.add.map((key) => key.kid).sort(),
      );
      await service.deleteIssuer('other-oidc', ALICE);
    });

    it('refuses metadata that cannot be fetched or that describes another issuer', async () => {
      await rejectsWith(
        service.previewImport({ metadataUrl: metadata.url, name: 'broken' }),
        'CG_META_HTTP_STATUS',
      );
      await rejectsWith(
        service.previewImport({
          metadataUrl: 'http://metadata.example/federationmetadata.xml',
          name: 'insecure',
        }),
        'CG_META_URL_INSECURE',
      );
      const xml = await (await fetch(fixture.issuer.metadataUrl!)).text();
      metadata.setMode({ kind: 'document', body: xml });
      await rejectsWith(
        service.previewImport({
          metadataUrl: metadata.url,
          name: 'elsewhere',
          issuerUri: 'https://other.example/',
        }),
        'CG_META_ENTITY_NOT_FOUND',
      );
    });
  });

  describe('realms and claim mappings', () => {
    it('creates, updates and deletes a realm whose allowed issuers are given by name', async () => {
      const realm = await service.createRealm(
        { realmUri: 'urn:app:one', replyUrl: 'https://app.example/signin', allowedIssuers: ['sim'] },
        ALICE,
      );
      assert.deepEqual(realm.allowedIssuerIds, [fixture.issuer.id]);
      assert.deepEqual(realm.allowedIssuerNames, ['sim']);
      const updated = await service.updateRealm(
        'urn:app:one',
        { replyUrl: 'https://app.example/back' },
        ALICE,
      );
      assert.equal(updated.replyUrl, 'https://app.example/back');
      assert.deepEqual(await service.getRealm(realm.id), updated);
      assert.ok((await service.listRealms()).some((item) => item.id === realm.id));
      await rejectsWith(
        service.createRealm(
          { realmUri: 'urn:app:two', replyUrl: 'https://app.example/', allowedIssuers: ['nobody'] },
          ALICE,
        ),
        'CG_STORE_NOT_FOUND',
      );
      await rejectsWith(service.updateRealm(realm.id, {}, ALICE), 'CG_ADMIN_INPUT_INVALID');
      await service.deleteRealm(realm.id, ALICE);
      await rejectsWith(service.getRealm(realm.id), 'CG_STORE_NOT_FOUND');
    });

    it('creates, updates and deletes a claim mapping of an issuer named by name', async () => {
      const other = await service.createIssuer(
        { name: 'mapped', issuerUri: 'https://mapped.example/' },
        ALICE,
      );
      const mapping = await service.createClaimMapping(
        { issuer: 'mapped', label: 'MAPPED', nameClaim: 'upn' },
        ALICE,
      );
      assert.equal(mapping.issuerId, other.issuer.id);
      assert.equal(mapping.issuerName, 'mapped');
      assert.equal(mapping.groupClaim, null);
      const updated = await service.updateClaimMapping(mapping.id, { groupClaim: 'groups' }, ALICE);
      assert.equal(updated.groupClaim, 'groups');
      assert.deepEqual(await service.listClaimMappings('mapped'), [updated]);
      assert.deepEqual(await service.getClaimMapping(mapping.id), updated);
      await service.deleteClaimMapping(mapping.id, ALICE);
      await rejectsWith(service.getClaimMapping(mapping.id), 'CG_STORE_NOT_FOUND');
      await service.deleteIssuer('mapped', ALICE);
    });
  });

  describe('audit', () => {
    it('filters by action prefix, actor, issuer, text and time, and pages by ID', async () => {
      const bob = adminActor({ user: 'local:bob' });
      const start = fixture.now();
      fixture.advance(60);
      const issuer = await service.createIssuer(
        { name: 'audited', issuerUri: 'https://audited.example/' },
        bob,
      );
      for (const label of ['A', 'B', 'C']) {
        await service.createClaimMapping({ issuer: 'audited', label, nameClaim: `claim-${label}` }, bob);
      }
      const byBob = await service.listAudit({ actor: bob });
      assert.equal(byBob.entries.length, 4);
      assert.ok(byBob.entries.every((entry) => entry.actor === bob));
      assert.equal((await service.listAudit({ actor: bob, action: 'mapping.' })).entries.length, 3);
      assert.equal((await service.listAudit({ actor: bob, action: 'mapping' })).entries.length, 0);
      assert.equal(
        (await service.listAudit({ issuer: issuer.issuer.id, text: 'CLAIM-b' })).entries.length,
        1,
      );
      assert.equal((await service.listAudit({ actor: bob, until: start })).entries.length, 0);
      assert.equal((await service.listAudit({ actor: bob, since: fixture.now() })).entries.length, 4);

      const first = await service.listAudit({ actor: bob, limit: 3 });
      assert.equal(first.entries.length, 3);
      assert.equal(first.nextAfterId, first.entries[2]!.id);
      const second = await service.listAudit({ actor: bob, limit: 3, afterId: first.nextAfterId });
      assert.equal(second.entries.length, 1);
      assert.equal(second.nextAfterId, null);
      assert.ok(second.entries[0]!.id > first.nextAfterId);

      await rejectsWith(service.listAudit({ limit: 0 }), 'CG_ADMIN_INPUT_INVALID');
      await rejectsWith(service.listAudit({ since: new Date('nonsense') }), 'CG_ADMIN_INPUT_INVALID');
      await rejectsWith(service.listAudit({ issuer: 'nobody' }), 'CG_STORE_NOT_FOUND');

      // The history of a deleted issuer stays reachable by its ID.
      await service.deleteIssuer('audited', bob);
      const history = await service.listAudit({ issuer: issuer.issuer.id });
      assert.equal(history.entries.at(-1)?.action, 'issuer.deleted');
      assert.equal(history.entries.at(-1)?.issuerName, null);
    });
  });

  describe('thumbprint tool and health', () => {
    it('lists every certificate of a metadata URL with its sections and both thumbprints', async () => {
      const result = await service.thumbprintsFromUrl(fixture.issuer.metadataUrl!);
      assert.equal(result.source, fixture.issuer.metadataUrl);
      assert.match(result.documentSha256 ?? '', /^[0-9a-f]{64}$/);
      const stored = await fixture.store.listKeys(fixture.issuer.id);
      for (const key of stored.filter((item) => item.source === 'metadata')) {
        const found = result.certificates.find((item) => item.sha1 === key.sha1);
        assert.ok(found, `certificate ${key.sha1 ?? '?'} listed`);
        assert.equal(found.sha256, key.sha256);
        assert.ok(found.sections.some((section) => section.startsWith('fed:SecurityTokenServiceType')));
      }
    });

    it('reports the store backend and reachability, engine metrics and each issuer', async () => {
      const health = await service.health();
      assert.deepEqual(health.store, { backend: 'sqlite', reachable: true, code: null });
      assert.equal(typeof health.engine.refreshes.success, 'number');
      const sim = health.issuers.find((issuer) => issuer.name === 'sim');
      assert.ok(sim !== undefined && sim.usableKeys >= 1);
      assert.ok(sim.refresh.lastSuccessAt !== null);
      assert.equal(sim.refresh.consecutiveFailures, 0);
    });

    it('reports an unreachable store instead of throwing', async () => {
      const broken = createManagementService({
        store: {
          backend: 'sqlite',
          listIssuers: () => Promise.reject(new Error('connection lost')),
        } as never,
        engine: fixture.engine,
        now: fixture.now,
      });
      const health = await broken.health();
      assert.equal(health.store.reachable, false);
      assert.equal(health.store.code, 'CG_STORE_UNAVAILABLE');
      assert.deepEqual(health.issuers, []);
    });
  });
});

describe('admin service: importing metadata whose certificates have expired', () => {
  const ADFS_SHA1 = 'D5FE73910389B58BBB3B0EBB87FDF110FF79FEBB';
  // Azure AD tenant: 92B8… valid 2014-01-01 to 2016-01-01, 3270… 2014-10-28 to 2016-10-27.
  const AAD_FIRST = '92B88C3DD981BF1EBCB244FCFA63C007706C79E0';
  const AAD_SECOND = '3270BF5597004DF339A4E62224731B6BD82810A6';
  let directory: string;
  let server: MetadataServer;
  let count = 0;

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), 'claimsgate-admin-expired-'));
    server = await startMetadataServer({ kind: 'status', status: 404 });
  });
  after(async () => {
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  });

  /** A store, an engine and the service sharing one movable clock (the engine plans what the import stores). */
  async function bench(at: string) {
    count += 1;
    const clock = { now: new Date(at) };
    const now = (): Date => clock.now;
    const store = await openStore(join(directory, `store-${count}.db`), { now });
    const engine = createRolloverEngine({ store, now, logger: () => undefined });
    const admin = createManagementService({ store, engine, now });
    const close = async (): Promise<void> => {
      await engine.stop();
      await store.close();
    };
    return { store, admin, clock, close };
  }

  function serve(fixture: string): void {
    server.setMode({ kind: 'document', body: readFixture(`metadata/${fixture}`).toString('utf8') });
  }

  it("refuses AD FS 2016 metadata at today's clock, in the preview and in the apply, storing nothing", async () => {
    serve('adfs2016.federationmetadata.xml');
    const { store, admin, close } = await bench('2026-11-29T12:00:00Z');
    try {
      const detail = await rejectsWith(
        admin.previewImport({ metadataUrl: server.url, name: 'adfs' }),
        'CG_META_SIGNING_KEYS_EXPIRED',
      );
      assert.deepEqual(
        (detail['observed'] as Array<{ key: string; notAfter: string }>).map((key) => [
          key.key,
          key.notAfter,
        ]),
        [[ADFS_SHA1, '2018-01-23T21:28:39.000Z']],
      );
      await rejectsWith(
        admin.applyImport(
          {
            metadataUrl: server.url,
            name: 'adfs',
            expectedSha256: createHash('sha256')
              .update(readFixture('metadata/adfs2016.federationmetadata.xml'))
              .digest('hex'),
          },
          ALICE,
        ),
        'CG_META_SIGNING_KEYS_EXPIRED',
      );
      assert.deepEqual(await store.listIssuers(), []);
      assert.deepEqual(await store.listAudit(), []);
    } finally {
      await close();
    }
  });

  it('previews and stores an expired Azure AD certificate as expired, never trusted, beside the valid one', async () => {
    serve('aad-tenant.federationmetadata.xml');
    const { admin, close } = await bench('2016-06-01T00:00:00Z');
    try {
      const preview = await admin.previewImport({ metadataUrl: server.url, name: 'aad' });
      const planned = preview.keys.add.map((key) => [key.sha1, key.stateAfter, key.usableAfter]);
      assert.deepEqual(planned, [
        [AAD_FIRST, 'expired', false],
        [AAD_SECOND, 'announced', true],
      ]);
      assert.ok(
        preview.warnings.includes(
          '1 of the published certificates has expired: stored as expired, never trusted.',
        ),
        preview.warnings.join('\n'),
      );
      const result = await admin.applyImport(
        { metadataUrl: server.url, name: 'aad', expectedSha256: preview.sha256 },
        ALICE,
      );
      const stored = result.refresh.issuer.keys.map((key) => [key.sha1, key.state, key.usable]);
      assert.deepEqual(stored.sort(), planned.sort(), 'the issuer stores exactly what the preview said');
      assert.equal(result.refresh.issuer.usableKeys, 1);
      const actions = (await admin.listAudit({ issuer: 'aad' })).entries.map((entry) => entry.action);
      assert.deepEqual(actions.slice(0, 3), ['issuer.created', 'issuer.imported', 'metadata.updated']);
    } finally {
      await close();
    }
  });

  it('previews the last expired key of an existing issuer as kept trusted, as the refresh then keeps it', async () => {
    serve('adfs2016.federationmetadata.xml');
    const { admin, clock, close } = await bench('2017-06-01T12:00:00Z');
    try {
      const first = await admin.previewImport({ metadataUrl: server.url, name: 'adfs' });
      assert.deepEqual(
        first.keys.add.map((key) => [key.sha1, key.stateAfter]),
        [[ADFS_SHA1, 'announced']],
      );
      await admin.applyImport({ metadataUrl: server.url, name: 'adfs', expectedSha256: first.sha256 }, ALICE);

      // Its certificate expires; the issuer has no other key, so a refresh keeps it (and alerts critically).
      clock.now = new Date('2026-11-29T12:00:00Z');
      const again = await admin.previewImport({ metadataUrl: server.url, issuer: 'adfs' });
      assert.equal(again.mode, 'update');
      assert.deepEqual(
        again.keys.unchanged.map((key) => [key.sha1, key.stateAfter, key.usableAfter]),
        [[ADFS_SHA1, 'announced', true]],
      );
      assert.ok(again.warnings.some((warning) => warning.includes('stays trusted')));
      const applied = await admin.applyImport(
        { metadataUrl: server.url, issuer: 'adfs', expectedSha256: again.sha256 },
        ALICE,
      );
      assert.deepEqual(
        applied.refresh.issuer.keys.map((key) => [key.sha1, key.state, key.usable]),
        [[ADFS_SHA1, 'announced', true]],
      );
      assert.ok(
        applied.refresh.alerts.some((alert) => alert.kind === 'key-expired' && alert.severity === 'critical'),
      );
    } finally {
      await close();
    }
  });
});

describe('admin service: an import preview under the configured key continuity probation', () => {
  const ISSUER = 'https://idp.test/probation/';
  const PROBATION = 600;
  let directory: string;
  let server: MetadataServer;
  let certs: TestCertificate[];

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), 'claimsgate-admin-probation-'));
    server = await startMetadataServer({ kind: 'status', status: 404 });
    certs = await Promise.all(
      ['signing A', 'signing B', 'signing C'].map((commonName) => createTestCertificate({ commonName })),
    );
  });
  after(async () => {
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  });

  function serve(published: readonly TestCertificate[]): void {
    const body = buildFederationMetadata({
      entityId: ISSUER,
      signingCertificates: published.map((cert) => cert.base64),
    });
    server.setMode({ kind: 'document', body });
  }

  function heldWarnings(warnings: readonly string[]): string[] {
    return warnings.filter((warning) => warning.includes('CG_META_KEYS_DISCONTINUOUS'));
  }

  it('previews what the refresh does with the engine’s probation, not the default day', async () => {
    const [certA, certB, certC] = certs as [TestCertificate, TestCertificate, TestCertificate];
    const clock = { now: new Date('2026-03-01T12:00:00.000Z') };
    const now = (): Date => clock.now;
    const advance = (seconds: number): void => {
      clock.now = new Date(clock.now.getTime() + seconds * 1000);
    };
    const store = await openStore(join(directory, 'store.db'), { now });
    const engine = createRolloverEngine({
      store,
      now,
      logger: () => undefined,
      continuityProbationSeconds: PROBATION,
    });
    const admin = createManagementService({ store, engine, now, continuityProbationSeconds: PROBATION });
    try {
      serve([certA, certB]);
      await store.createIssuer(
        { name: 'contoso', issuerUri: ISSUER, metadataUrl: server.url, label: 'CONTOSO' },
        ALICE,
      );
      assert.equal(
        (await engine.refreshIssuer('contoso', { force: true, reason: 'manual' })).outcome,
        'success',
      );
      serve([certA, certB, certC]);
      advance(60);
      assert.equal(
        (await engine.refreshIssuer('contoso', { force: true, reason: 'manual' })).outcome,
        'success',
      );

      // C, brought in by an unsigned document, vouches for nothing during its probation…
      serve([certC]);
      advance(PROBATION / 2);
      const early = await admin.previewImport({ metadataUrl: server.url, issuer: 'contoso' });
      assert.equal(heldWarnings(early.warnings).length, 1, early.warnings.join('\n'));
      // …and for the document that keeps it alone once the configured probation has run, well within a day.
      advance(PROBATION);
      const later = await admin.previewImport({ metadataUrl: server.url, issuer: 'contoso' });
      assert.deepEqual(heldWarnings(later.warnings), []);
      const applied = await admin.applyImport(
        { metadataUrl: server.url, issuer: 'contoso', expectedSha256: later.sha256 },
        ALICE,
      );
      assert.equal(applied.refresh.outcome, 'success', 'the refresh agrees with the preview');
      assert.deepEqual(applied.warnings, []);
      assert.equal(await store.getPendingChange(applied.refresh.issuer.issuer.id), undefined);
    } finally {
      await engine.stop();
      await store.close();
    }
  });

  it('refuses a continuity probation that is not a number of seconds', () => {
    const options = { store: {} as never, engine: {} as never };
    for (const bad of [-1, Number.NaN, '600' as never]) {
      assert.throws(
        () => createManagementService({ ...options, continuityProbationSeconds: bad }),
        /continuityProbationSeconds must be a number of seconds/,
      );
    }
  });
});
