import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startMetadataServer, type MetadataServer } from '../helpers/metadata-server.js';
import {
  adminCaller,
  callApi,
  concretePath,
  operationsOf,
  userCaller,
  type ApiCaller,
  type DocumentedOperation,
} from './admin-api-helpers.js';
import { createGatewayFixture, type GatewayFixture } from './gateway-fixture.js';

const LRM = '\u200E';
const UNSAFE = new Set(['POST', 'PATCH', 'DELETE']);

interface Problem {
  readonly code: string;
  readonly message: string;
  readonly hint: string;
  readonly detail: Record<string, unknown>;
}

describe('admin API', () => {
  let fixture: GatewayFixture;
  let admin: Required<ApiCaller>;
  let operations: DocumentedOperation[];
  let broken: MetadataServer;

  before(async () => {
    fixture = await createGatewayFixture();
    admin = await adminCaller(fixture);
    const document = await callApi(fixture, 'GET', '/admin/api/openapi.json', admin);
    assert.equal(document.statusCode, 200);
    operations = operationsOf(document.json());
    broken = await startMetadataServer({ kind: 'status', status: 500 });
  });

  after(async () => {
    await broken.close();
    await fixture.close();
  });

  /** Calls as the admin. */
  function call(method: string, url: string, body?: unknown) {
    return callApi(fixture, method, url, admin, body);
  }

  describe('access', () => {
    it('documents the routes this test walks (so that a new route cannot escape it)', () => {
      assert.ok(operations.length >= 27, `only ${operations.length} operations`);
    });

    it('refuses every route to an anonymous caller with 401, whatever the body', async () => {
      for (const { method, path } of operations) {
        const response = await callApi(
          fixture,
          method,
          concretePath(path),
          {},
          UNSAFE.has(method) ? { bogus: true } : undefined,
        );
        assert.equal(response.statusCode, 401, `${method} ${path}`);
        assert.equal(response.json<Problem>().code, 'CG_ADMIN_UNAUTHENTICATED', `${method} ${path}`);
      }
    });

    it('refuses every route to a signed-in user who is not an administrator with 403', async () => {
      const user = userCaller(fixture);
      for (const { method, path } of operations) {
        const response = await callApi(
          fixture,
          method,
          concretePath(path),
          user,
          UNSAFE.has(method) ? {} : undefined,
        );
        assert.equal(response.statusCode, 403, `${method} ${path}`);
        assert.equal(response.json<Problem>().code, 'CG_ADMIN_FORBIDDEN', `${method} ${path}`);
      }
    });

    it('refuses every unsafe route to an admin without the CSRF token, or with a forged one, with 403', async () => {
      const unsafe = operations.filter((operation) => UNSAFE.has(operation.method));
      assert.ok(unsafe.length >= 14);
      const other = await adminCaller(fixture, 'local:mallory');
      for (const { method, path } of unsafe) {
        for (const csrf of [undefined, 'forged-token', other.csrf]) {
          const caller = csrf === undefined ? { cookie: admin.cookie } : { cookie: admin.cookie, csrf };
          const response = await callApi(fixture, method, concretePath(path), caller, {});
          assert.equal(response.statusCode, 403, `${method} ${path} with ${String(csrf)}`);
          assert.equal(response.json<Problem>().code, 'CG_ADMIN_CSRF_INVALID');
        }
      }
      assert.equal((await fixture.store.listIssuers()).length, 1, 'nothing was changed');
    });

    it('answers the session with the user and its CSRF token, and never caches API answers', async () => {
      const response = await call('GET', '/admin/api/session');
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['cache-control'], 'no-store');
      const session = response.json<Record<string, unknown>>();
      assert.equal(session['user'], 'local:admin');
      assert.equal(session['csrfToken'], admin.csrf);
      assert.equal(session['csrfHeader'], 'X-CSRF-Token');
      assert.deepEqual(session['roles'], ['admin']);
      assert.ok(!response.body.includes(admin.cookie.split('=')[1]!), 'the cookie is not echoed');
    });
  });

  describe('validation', () => {
    it('refuses an unknown property with 400 CG_ADMIN_INPUT_INVALID naming it', async () => {
      const response = await call('POST', '/admin/api/issuers', {
        name: 'x',
        issuerUri: 'https://x.example/',
        colour: 'red',
      });
      assert.equal(response.statusCode, 400);
      const problem = response.json<Problem>();
      assert.equal(problem.code, 'CG_ADMIN_INPUT_INVALID');
      assert.match(problem.message, /colour/);
      assert.deepEqual(
        (problem.detail['errors'] as Array<Record<string, unknown>>)[0]?.['property'],
        'colour',
      );
      assert.equal(await fixture.store.getIssuer('x'), undefined);
    });

    it('refuses a missing field, a wrong type, a bad query and a body that is not JSON with 400', async () => {
      const cases = [
        await call('POST', '/admin/api/issuers', { name: 'x' }),
        await call('POST', '/admin/api/issuers', {
          name: 'x',
          issuerUri: 'https://x.example/',
          useForLogin: 'yes',
        }),
        await call('GET', '/admin/api/audit?limit=0'),
        await call('GET', '/admin/api/audit?since=yesterday'),
        await call('POST', '/admin/api/thumbprint', { text: 'a', thumbprint: 'b' }),
        await fixture.app.inject({
          method: 'POST',
          url: '/admin/api/issuers',
          headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf, 'content-type': 'application/json' },
          payload: '{"name": ',
        }),
      ];
      for (const response of cases) {
        assert.equal(response.statusCode, 400, response.body);
        assert.equal(response.json<Problem>().code, 'CG_ADMIN_INPUT_INVALID');
      }
    });

    it('checks a JSON body as sent, without coercing it, while the query string is still read as text', async () => {
      const cases = [
        // A string where a boolean is expected; a coercing validator would read "true" as true.
        { name: 'x', issuerUri: 'https://x.example/', useForLogin: 'true' },
        // A string where an integer is expected.
        { name: 'x', issuerUri: 'https://x.example/', refreshIntervalSeconds: '60' },
        // A bare string where a list is expected; a coercing validator would wrap it as ["oidc"].
        { name: 'x', issuerUri: 'https://x.example/', protocols: 'oidc' },
        // A list where a string is expected.
        { name: ['x'], issuerUri: 'https://x.example/' },
      ];
      for (const body of cases) {
        const response = await call('POST', '/admin/api/issuers', body);
        assert.equal(response.statusCode, 400, response.body);
        const problem = response.json<Problem>();
        assert.equal(problem.code, 'CG_ADMIN_INPUT_INVALID');
        assert.equal((problem.detail['errors'] as Array<Record<string, unknown>>)[0]?.['keyword'], 'type');
      }
      assert.equal(await fixture.store.getIssuer('x'), undefined);
      // The query string is text: limit=5 is still read as the integer 5.
      const audit = await call('GET', '/admin/api/audit?limit=5');
      assert.equal(audit.statusCode, 200, audit.body);
    });

    it('maps the store and metadata errors to 404, 409 and 422', async () => {
      const missing = await call('GET', '/admin/api/issuers/nobody');
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json<Problem>().code, 'CG_STORE_NOT_FOUND');
      const duplicate = await call('POST', '/admin/api/issuers', {
        name: 'sim',
        issuerUri: 'https://other.example/',
      });
      assert.equal(duplicate.statusCode, 409);
      assert.equal(duplicate.json<Problem>().code, 'CG_STORE_DUPLICATE');
      const unusable = await call('POST', '/admin/api/import/preview', {
        metadataUrl: broken.url,
        name: 'broken',
      });
      assert.equal(unusable.statusCode, 422);
      assert.equal(unusable.json<Problem>().code, 'CG_META_HTTP_STATUS');
      const unknownRoute = await call('GET', '/admin/api/nothing-here');
      assert.equal(unknownRoute.statusCode, 404);
    });
  });

  describe('issuers and keys', () => {
    it('creates, reads, updates against a version, and deletes an issuer', async () => {
      const created = await call('POST', '/admin/api/issuers', {
        name: 'manual',
        issuerUri: 'https://manual.example/',
        protocols: ['saml2'],
      });
      assert.equal(created.statusCode, 201);
      const issuer = created.json<{ issuer: { id: string; version: number } }>().issuer;
      const list = await call('GET', '/admin/api/issuers');
      assert.deepEqual(
        list.json<Array<{ issuer: { name: string } }>>().map((item) => item.issuer.name),
        ['manual', 'sim'],
      );
      const patched = await call('PATCH', `/admin/api/issuers/${issuer.id}`, {
        description: 'by hand',
        expectedVersion: issuer.version,
      });
      assert.equal(patched.statusCode, 200, patched.body);
      assert.equal(patched.json<{ issuer: { description: string } }>().issuer.description, 'by hand');
      const stale = await call('PATCH', '/admin/api/issuers/manual', {
        description: 'x',
        expectedVersion: issuer.version,
      });
      assert.equal(stale.statusCode, 409);
      assert.equal(stale.json<Problem>().code, 'CG_STORE_CONFLICT');
      const deleted = await call('DELETE', '/admin/api/issuers/manual');
      assert.equal(deleted.statusCode, 200, deleted.body);
      assert.deepEqual(deleted.json(), {
        issuerId: issuer.id,
        issuerName: 'manual',
        keys: 0,
        mappings: 0,
        realms: [],
      });
      assert.equal((await call('GET', '/admin/api/issuers/manual')).statusCode, 404);
    });

    it('sets e-mail domains on create and update, normalised; refuses a taken one (409, naming the holder) or a bad one (400)', async () => {
      const created = await call('POST', '/admin/api/issuers', {
        name: 'tenant-a',
        issuerUri: 'https://tenant-a.example/',
        domains: ['Contoso.COM.', 'bücher.example'],
      });
      assert.equal(created.statusCode, 201, created.body);
      const issuer = created.json<{ issuer: { id: string; domains: string[] } }>().issuer;
      assert.deepEqual(issuer.domains, ['contoso.com', 'xn--bcher-kva.example']);
      const taken = await call('POST', '/admin/api/issuers', {
        name: 'tenant-b',
        issuerUri: 'https://tenant-b.example/',
        domains: ['contoso.com'],
      });
      assert.equal(taken.statusCode, 409);
      const problem = taken.json<Problem>();
      assert.equal(problem.code, 'CG_STORE_DUPLICATE');
      assert.equal(problem.detail['holder'], 'tenant-a');
      assert.match(problem.message, /"contoso\.com" already belongs to issuer "tenant-a"/);
      for (const domains of [['bob@contoso.com'], ['*.contoso.com'], ['192.0.2.1'], [42]]) {
        const bad = await call('PATCH', `/admin/api/issuers/${issuer.id}`, { domains });
        assert.equal(bad.statusCode, 400, JSON.stringify(domains));
      }
      const tooMany = await call('PATCH', `/admin/api/issuers/${issuer.id}`, {
        domains: Array.from({ length: 201 }, (_, index) => `d${index}.example`),
      });
      assert.equal(tooMany.statusCode, 400);
      const patched = await call('PATCH', `/admin/api/issuers/${issuer.id}`, { domains: ['fabrikam.co.uk'] });
      assert.equal(patched.statusCode, 200, patched.body);
      assert.deepEqual(patched.json<{ issuer: { domains: string[] } }>().issuer.domains, ['fabrikam.co.uk']);
      const read = await call('GET', '/admin/api/issuers/tenant-a');
      assert.deepEqual(read.json<{ issuer: { domains: string[] } }>().issuer.domains, ['fabrikam.co.uk']);
      assert.equal((await call('DELETE', '/admin/api/issuers/tenant-a')).statusCode, 200);
      const freed = await call('POST', '/admin/api/issuers', {
        name: 'tenant-b',
        issuerUri: 'https://tenant-b.example/',
        domains: ['fabrikam.co.uk'],
      });
      assert.equal(freed.statusCode, 201, 'removing an issuer frees its domains');
      assert.equal((await call('DELETE', '/admin/api/issuers/tenant-b')).statusCode, 200);
    });

    it('documents the domains field in the OpenAPI issuer schemas', async () => {
      const document = (await call('GET', '/admin/api/openapi.json')).body;
      assert.match(document, /"domains":\{[^}]*"maxItems":200/);
      assert.match(document, /The e-mail domains whose users this issuer signs in/);
    });

    it('deletes an issuer and says which realms stop naming it; refuses (409) while a realm allows it alone', async () => {
      const created = await call('POST', '/admin/api/issuers', {
        name: 'partner',
        issuerUri: 'https://partner.example/',
      });
      assert.equal(created.statusCode, 201, created.body);
      const realm = (body: unknown) => call('POST', '/admin/api/realms', body);
      const only = await realm({
        realmUri: 'urn:app:partner-only',
        replyUrl: 'https://app.example/signin',
        allowedIssuers: ['partner'],
      });
      assert.equal(only.statusCode, 201, only.body);
      const refused = await call('DELETE', '/admin/api/issuers/partner');
      assert.equal(refused.statusCode, 409);
      assert.equal(refused.json<Problem>().code, 'CG_STORE_REFERENCED');
      assert.equal((await call('GET', '/admin/api/issuers/partner')).statusCode, 200);

      await call('PATCH', `/admin/api/realms/${encodeURIComponent('urn:app:partner-only')}`, {
        allowedIssuers: ['partner', 'sim'],
        homeRealm: 'partner',
      });
      const deleted = await call('DELETE', '/admin/api/issuers/partner');
      assert.equal(deleted.statusCode, 200, deleted.body);
      assert.deepEqual(
        deleted.json<{ realms: unknown[] }>().realms.map((entry) => entry),
        [
          {
            realmId: only.json<{ id: string }>().id,
            realmUri: 'urn:app:partner-only',
            homeRealmCleared: true,
            allowedIssuerRemoved: true,
            remainingAllowedIssuers: ['sim'],
          },
        ],
      );
      const after = await call('GET', `/admin/api/realms/${encodeURIComponent('urn:app:partner-only')}`);
      assert.equal(after.json<{ homeRealm: string | null }>().homeRealm, null);
      assert.deepEqual(after.json<{ allowedIssuerNames: string[] }>().allowedIssuerNames, ['sim']);
      assert.equal(
        (await call('DELETE', `/admin/api/realms/${encodeURIComponent('urn:app:partner-only')}`)).statusCode,
        204,
      );
    });

    it('adds a thumbprint carrying U+200E and says it was removed', async () => {
      const thumbprint = `${LRM}a9 99 3e 36 47 06 81 6a ba 3e 25 71 78 50 c2 6c 9c d0 d8 9d`;
      const response = await call('POST', '/admin/api/issuers/sim/keys', { thumbprint });
      assert.equal(response.statusCode, 201, response.body);
      const added = response.json<{
        key: { id: string; sha1: string; source: string; state: string };
        thumbprintInput: { noteworthy: unknown[]; removed: unknown[]; algorithm: string };
      }>();
      assert.equal(added.key.sha1, 'A9993E364706816ABA3E25717850C26C9CD0D89D');
      assert.equal(added.key.source, 'manual');
      assert.equal(added.thumbprintInput.algorithm, 'sha1');
      assert.deepEqual(added.thumbprintInput.noteworthy, [
        { codePoint: 'U+200E', position: 1, name: 'LEFT-TO-RIGHT MARK' },
      ]);
      assert.equal(added.thumbprintInput.removed.length, 20);
      const keys = await call('GET', '/admin/api/issuers/sim/keys');
      assert.ok(keys.json<Array<{ id: string }>>().some((key) => key.id === added.key.id));

      const revoked = await call('POST', `/admin/api/keys/${added.key.id}/revoke`, {
        reason: 'pasted by mistake',
      });
      assert.equal(revoked.statusCode, 200);
      assert.equal(revoked.json<{ state: string }>().state, 'revoked');
      const noReason = await call('POST', `/admin/api/keys/${added.key.id}/reactivate`, {});
      assert.equal(noReason.statusCode, 400);
      const reactivated = await call('POST', `/admin/api/keys/${added.key.id}/reactivate`, {
        reason: 'needed after all',
      });
      assert.equal(reactivated.statusCode, 200);
      assert.equal(reactivated.json<{ state: string }>().state, 'active');
      await call('POST', `/admin/api/keys/${added.key.id}/revoke`, { reason: 'cleanup' });

      const audit = await call(
        'GET',
        `/admin/api/audit?action=key.&actor=${encodeURIComponent('admin:local:admin')}`,
      );
      assert.deepEqual(
        audit.json<{ entries: Array<{ action: string }> }>().entries.map((entry) => entry.action),
        ['key.added', 'key.revoked', 'key.activated', 'key.revoked'],
      );
    });

    it('refuses a malformed pasted thumbprint with 400, naming the character', async () => {
      const response = await call('POST', '/admin/api/issuers/sim/keys', {
        thumbprint: 'A9993E364706816ABA3E25717850C26C9CD0D8Z9',
      });
      assert.equal(response.statusCode, 400);
      const problem = response.json<Problem>();
      assert.equal(problem.code, 'CG_TRUST_THUMBPRINT_INVALID');
      assert.match(JSON.stringify(problem.detail), /"position":39/);
    });

    it('refreshes now, and the audit log says which admin asked', async () => {
      const response = await call('POST', `/admin/api/issuers/sim/refresh`);
      assert.equal(response.statusCode, 200, response.body);
      const outcome = response.json<{ outcome: string; issuer: { issuer: { name: string } } }>();
      assert.ok(['success', 'not-modified'].includes(outcome.outcome));
      assert.equal(outcome.issuer.issuer.name, 'sim');
      const audit = await call('GET', '/admin/api/audit?action=issuer.refresh-requested&issuer=sim');
      const entries = audit.json<{ entries: Array<{ actor: string }> }>().entries;
      assert.equal(entries.at(-1)?.actor, 'admin:local:admin');
    });

    it('refreshes all issuers with a metadata URL, counts the outcomes, and audits the request once', async () => {
      const issuers = (await call('GET', '/admin/api/issuers')).json<Array<{ metadataUrl: string | null }>>();
      const followed = issuers.filter((issuer) => issuer.metadataUrl !== null).length;
      assert.ok(followed > 0);
      const response = await call('POST', '/admin/api/issuers/refresh');
      assert.equal(response.statusCode, 200, response.body);
      const summary = response.json<{
        issuers: number;
        byOutcome: Record<string, number>;
        failures: unknown[];
      }>();
      assert.equal(summary.issuers, followed);
      assert.equal(
        Object.values(summary.byOutcome).reduce((sum, count) => sum + count, 0),
        followed,
        'one outcome per issuer',
      );
      assert.deepEqual(summary.failures, []);
      const audit = await call('GET', '/admin/api/audit?action=issuers.refresh-all-requested');
      const entries = audit.json<{ entries: Array<{ actor: string }> }>().entries;
      assert.equal(entries.length, 1);
      assert.equal(entries[0]?.actor, 'admin:local:admin');
    });
  });

  describe('import', () => {
    it('previews, refuses to apply a document that changed since (409), then applies the new preview', async () => {
      const url = fixture.issuer.metadataUrl!;
      const first = await call('POST', '/admin/api/import/preview', { metadataUrl: url, issuer: 'sim' });
      assert.equal(first.statusCode, 200, first.body);
      const before = first.json<{
        sha256: string;
        version: number;
        keys: { add: unknown[]; unchanged: unknown[] };
      }>();
      assert.deepEqual(before.keys.add, []);

      await fixture.sim.rollover('announce');
      const stale = await call('POST', '/admin/api/import/apply', {
        metadataUrl: url,
        issuer: 'sim',
        expectedSha256: before.sha256,
      });
      assert.equal(stale.statusCode, 409);
      assert.equal(stale.json<Problem>().code, 'CG_STORE_CONFLICT');

      const second = await call('POST', '/admin/api/import/preview', { metadataUrl: url, issuer: 'sim' });
      const after = second.json<{ sha256: string; keys: { add: Array<{ sha256: string }> } }>();
      assert.equal(after.keys.add.length, 1);
      const applied = await call('POST', '/admin/api/import/apply', {
        metadataUrl: url,
        issuer: 'sim',
        expectedSha256: after.sha256,
        expectedVersion: before.version,
      });
      assert.equal(applied.statusCode, 200, applied.body);
      const result = applied.json<{
        created: boolean;
        refresh: { outcome: string; issuer: { keys: Array<{ sha256: string; state: string }> } };
      }>();
      assert.equal(result.created, false);
      assert.equal(result.refresh.outcome, 'success');
      assert.equal(
        result.refresh.issuer.keys.find((key) => key.sha256 === after.keys.add[0]!.sha256)?.state,
        'announced',
      );
      const audit = await call('GET', '/admin/api/audit?action=issuer.imported');
      assert.equal(
        audit.json<{ entries: Array<{ actor: string }> }>().entries.at(-1)?.actor,
        'admin:local:admin',
      );
    });
  });

  describe('realms, mappings, audit and tools', () => {
    it('creates, updates and deletes a realm, with URIs in the path', async () => {
      const created = await call('POST', '/admin/api/realms', {
        realmUri: 'urn:app:api',
        replyUrl: 'https://app.example/signin',
        allowedIssuers: ['sim'],
      });
      assert.equal(created.statusCode, 201, created.body);
      assert.deepEqual(created.json<{ allowedIssuerNames: string[] }>().allowedIssuerNames, ['sim']);
      const byUri = await call('GET', `/admin/api/realms/${encodeURIComponent('urn:app:api')}`);
      assert.equal(byUri.statusCode, 200);
      const patched = await call('PATCH', `/admin/api/realms/${encodeURIComponent('urn:app:api')}`, {
        homeRealm: 'sim',
      });
      assert.equal(patched.json<{ homeRealm: string }>().homeRealm, 'sim');
      assert.equal(
        (await call('DELETE', `/admin/api/realms/${encodeURIComponent('urn:app:api')}`)).statusCode,
        204,
      );
      assert.equal(
        (await call('GET', `/admin/api/realms/${encodeURIComponent('urn:app:api')}`)).statusCode,
        404,
      );
    });

    it('creates, updates and deletes a claim mapping, and lists those of one issuer', async () => {
      const created = await call('POST', '/admin/api/mappings', {
        issuer: 'sim',
        label: 'API',
        nameClaim: 'email',
      });
      assert.equal(created.statusCode, 201, created.body);
      const { id } = created.json<{ id: string }>();
      const patched = await call('PATCH', `/admin/api/mappings/${id}`, { groupClaim: 'roles' });
      assert.equal(patched.json<{ groupClaim: string }>().groupClaim, 'roles');
      const listed = await call('GET', '/admin/api/mappings?issuer=sim');
      assert.deepEqual(
        listed
          .json<Array<{ label: string }>>()
          .map((mapping) => mapping.label)
          .sort(),
        ['API', 'SIM'],
      );
      assert.equal((await call('DELETE', `/admin/api/mappings/${id}`)).statusCode, 204);
      assert.equal((await call('GET', `/admin/api/mappings/${id}`)).statusCode, 404);
    });

    it('filters the audit log by query and pages it', async () => {
      const all = await call('GET', '/admin/api/audit?actor=admin%3Alocal%3Aadmin&action=mapping.');
      const entries = all.json<{ entries: Array<{ id: number; action: string }> }>().entries;
      assert.deepEqual(
        entries.map((entry) => entry.action),
        ['mapping.created', 'mapping.updated', 'mapping.deleted'],
      );
      const page = await call('GET', '/admin/api/audit?actor=admin%3Alocal%3Aadmin&action=mapping.&limit=2');
      const first = page.json<{ entries: unknown[]; nextAfterId: number }>();
      assert.equal(first.entries.length, 2);
      assert.equal(first.nextAfterId, entries[1]!.id);
      const rest = await call(
        'GET',
        `/admin/api/audit?actor=admin%3Alocal%3Aadmin&action=mapping.&afterId=${first.nextAfterId}`,
      );
      assert.deepEqual(
        rest.json<{ entries: Array<{ id: number }> }>().entries.map((entry) => entry.id),
        [entries[2]!.id],
      );
      const text = await call('GET', '/admin/api/audit?text=EMAIL&action=mapping.created');
      assert.equal(text.json<{ entries: unknown[] }>().entries.length, 1);
      const future = await call(
        'GET',
        `/admin/api/audit?since=${encodeURIComponent('2100-01-01T00:00:00Z')}`,
      );
      assert.deepEqual(future.json<{ entries: unknown[] }>().entries, []);
    });

    it('computes the thumbprints of every certificate at a metadata URL', async () => {
      const response = await call('POST', '/admin/api/thumbprint', {
        metadataUrl: fixture.issuer.metadataUrl,
      });
      assert.equal(response.statusCode, 200, response.body);
      const result = response.json<{ certificates: Array<{ sha1: string; sections: string[] }> }>();
      const stored = await fixture.store.listKeys(fixture.issuer.id);
      const published = stored.find((key) => key.source === 'metadata');
      assert.ok(result.certificates.some((certificate) => certificate.sha1 === published?.sha1));
    });

    it('reports health', async () => {
      const response = await call('GET', '/admin/api/health');
      assert.equal(response.statusCode, 200);
      const health = response.json<{ store: { reachable: boolean }; issuers: Array<{ name: string }> }>();
      assert.equal(health.store.reachable, true);
      assert.ok(health.issuers.some((issuer) => issuer.name === 'sim'));
    });
  });
});
