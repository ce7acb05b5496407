/**
 * Issue 13, "store outages fail no sign-in": a gateway on PostgreSQL reached
 * through a loopback TCP proxy that the test cuts (every connection
 * destroyed, new ones refused) and restores, with the IdP simulator as
 * WS-Federation, SAML 2.0 and OpenID Connect issuers. Sign-ins before, during
 * and after the cut; a replay refused during it; /readyz degraded; the alert;
 * the queued records written after it.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import pg from 'pg';
import type { StoreOutageEvent } from '../../src/store/store-outage.js';
import { startOutageGateway, type OutageGateway, type OutageSignIn } from '../helpers/outage-gateway.js';
import { postgresGate, TEST_POSTGRES_URL } from '../helpers/postgres.js';
import { describeWithService } from '../helpers/service-gate.js';
import {
  bindingCookieOf,
  cookiePair,
  postForm,
  readForm,
  setCookieOf,
  signInAtSimulator,
} from './gateway-fixture.js';

const COOKIE = 'claimsgate_session';

const postgres = await postgresGate();

describeWithService('a PostgreSQL store that becomes unreachable', postgres, () => {
  let world: OutageGateway;

  before(async () => {
    world = await startOutageGateway({
      databaseUrl: TEST_POSTGRES_URL,
      flags: { 'database.outage.alertAfterMs': 0 },
    });
  });

  after(() => world?.close());

  const signIn = (whr: string, protocol: string): Promise<OutageSignIn> => world.signIn(whr, protocol);

  function assertSignedIn(signedIn: OutageSignIn, what: string): string {
    assert.equal(signedIn.response.statusCode, 303, `${what}: ${signedIn.response.body}`);
    const cookie = setCookieOf(signedIn.response, COOKIE);
    assert.ok(cookie !== undefined, `${what}: a session cookie`);
    return cookiePair(cookie);
  }

  async function signInEveryWay(when: string): Promise<Record<string, string>> {
    return {
      wsfed: assertSignedIn(await signIn('sim', 'wsfed'), `WS-Fed ${when}`),
      saml2: assertSignedIn(await signIn('sim', 'saml2'), `SAML 2.0 ${when}`),
      oidc: assertSignedIn(await signIn('oidc-sim', 'oidc'), `OIDC ${when}`),
    };
  }

  async function readiness(): Promise<{ statusCode: number; body: { status: string; checks: object } }> {
    const response = await world.app.inject({ method: 'GET', url: '/readyz' });
    return { statusCode: response.statusCode, body: response.json() };
  }

  async function waitForRecovery(): Promise<Extract<StoreOutageEvent, { kind: 'up' }>> {
    for (;;) {
      const up = world.events.find((event) => event.kind === 'up');
      if (up !== undefined && up.kind === 'up') return up;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('signs users in by WS-Federation, SAML 2.0 and OpenID Connect before, during and after the cut, and writes what it queued', async () => {
    const before = await signInEveryWay('before the cut');
    assert.deepEqual((await readiness()).body.status, 'ready');
    const sim2 = await world.store.getIssuer('sim2');
    const sim2Keys = await world.store.listKeys(sim2!.id);
    assert.ok(
      sim2Keys.length > 0 && sim2Keys.every((key) => key.lastUsedAt === null),
      'sim2: keys not used yet',
    );

    world.cut.cut();
    // The first call that meets the cut begins the outage.
    const degraded = await readiness();
    assert.equal(degraded.statusCode, 200);
    assert.equal(degraded.body.status, 'degraded');
    assert.deepEqual(degraded.body.checks, { store: 'unreachable', trust: 'ok' });
    assert.equal(world.outage.reachable, false);

    await signInEveryWay('during the cut');
    assertSignedIn(await signIn('sim2', 'wsfed'), 'WS-Fed at sim2 during the cut');

    // A sign-in answer posted twice: refused, its state and token already used here.
    const once = await signIn('sim', 'wsfed');
    assertSignedIn(once, 'WS-Fed during the cut');
    const again = await postForm(world.app, once.path, once.fields, once.binding);
    assert.equal(again.statusCode, 400, again.body);
    assert.match(again.body, /CG_TOKEN_REPLAYED/);
    // The token alone, under a new sign-in's state: refused as a replayed token.
    const query = new URLSearchParams({ returnUrl: '/', whr: 'sim', protocol: 'wsfed' });
    const fresh = await world.app.inject({ method: 'GET', url: `/signin?${query.toString()}` });
    const freshForm = await signInAtSimulator(fresh.headers.location as string);
    const replayed = await postForm(
      world.app,
      once.path,
      { ...freshForm.fields, wresult: once.fields['wresult']! },
      bindingCookieOf(fresh),
    );
    assert.equal(replayed.statusCode, 400, replayed.body);
    assert.match(replayed.body, /CG_TOKEN_REPLAYED/);

    // A session from before the cut still serves its pages.
    const page = await world.app.inject({ method: 'GET', url: '/', headers: { cookie: before['wsfed']! } });
    assert.equal(page.statusCode, 200, page.body);
    assert.match(page.body, /SIM:alice@contoso.test/);

    // A sign-out during the cut: refused here at once, written to the store when it is back.
    const confirm = await world.app.inject({
      method: 'GET',
      url: '/signout',
      headers: { cookie: before['saml2']! },
    });
    const signOutForm = readForm(confirm.body);
    const signedOut = await postForm(world.app, '/signout', signOutForm.fields, before['saml2']);
    assert.equal(signedOut.statusCode, 303, signedOut.body);
    const refused = await world.app.inject({
      method: 'GET',
      url: '/',
      headers: { cookie: before['saml2']! },
    });
    assert.equal(refused.statusCode, 302, 'the revoked session is refused on this instance during the cut');

    assert.ok(world.outage.status().queued > 0, 'records wait for the store');
    assert.ok(
      world.lines.some(
        (line) => line.includes('"alert.store-unreachable"') && line.includes('"level":"error"'),
      ),
      'the alert is logged at error level',
    );
    const metrics = await world.app.inject({ method: 'GET', url: '/metrics' });
    assert.match(metrics.body, /^claimsgate_store_up 0$/m);
    assert.match(metrics.body, /^claimsgate_store_outage_sign_ins_total\{protocol="wsfed"\} [1-9]/m);

    const replaysBefore = await world.withAdmin(
      async (client) =>
        (
          await client.query<{ n: string }>(
            `SELECT count(*) AS n FROM ${pg.escapeIdentifier(world.schema)}.replays`,
          )
        ).rows[0]!.n,
    );
    world.cut.restore();
    const up = await waitForRecovery();
    assert.ok((up.written['replayIds'] ?? 0) >= 8, `replay IDs written: ${JSON.stringify(up.written)}`);
    assert.ok((up.written['keyUses'] ?? 0) >= 1, `key uses written: ${JSON.stringify(up.written)}`);
    assert.equal(up.stillQueued, 0);
    assert.equal(up.written['revocations'], 1, 'the sign-out is written');
    const revoked = await world.store.listSessionRevocations(new Date());
    assert.equal(revoked.filter((revocation) => revocation.sid !== null).length, 1);
    const replaysAfter = await world.withAdmin(
      async (client) =>
        (
          await client.query<{ n: string }>(
            `SELECT count(*) AS n FROM ${pg.escapeIdentifier(world.schema)}.replays`,
          )
        ).rows[0]!.n,
    );
    assert.ok(Number(replaysAfter) >= Number(replaysBefore) + 8, `${replaysBefore} → ${replaysAfter}`);
    const used = (await world.store.listKeys(sim2!.id)).filter((key) => key.lastUsedAt !== null);
    assert.ok(used.length > 0, 'the key first used during the cut has its use recorded');

    assert.equal((await readiness()).body.status, 'ready');
    await signInEveryWay('after the cut');
    assert.ok(
      world.lines.some((line) => line.includes('"store.reachable"') && line.includes('durationMs')),
      'the recovery is logged with the duration',
    );
    assert.equal(
      world.lines.filter((line) => line.includes('"alert.store-unreachable"')).length,
      1,
      'one alert for the outage',
    );
    await world.app.inject({ method: 'GET', url: '/healthz' });
    assert.deepEqual(
      world.webhookPosts.map((post) => post.kind),
      ['store-unreachable', 'store-recovered'],
    );
  });
});
