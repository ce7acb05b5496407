import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config/load-config.js';
import { createGatewayServer } from '../../src/server/create-gateway-server.js';
import { createGatewayLogger, lineDestination } from '../../src/server/logging.js';
import type { Store } from '../../src/store/store.js';
import { createGatewayFixture, PUBLIC_URL, START, type GatewayFixture } from './gateway-fixture.js';

/** Where a sign-in was sent: the issuer's login URL without its query, or the status of a page. */
function landing(response: { statusCode: number; headers: Record<string, unknown> }): string {
  if (response.statusCode !== 302) return `HTTP ${response.statusCode}`;
  const location = new URL(String(response.headers.location));
  return location.origin + location.pathname;
}

const CONTOSO = 'https://contoso.example.test/wsfed';
const FABRIKAM = 'https://fabrikam.example.test/wsfed';

/** Counts the store's issuer reads while `work` runs. */
async function countReads(
  store: Store,
  work: () => Promise<void>,
): Promise<{ listIssuers: number; getIssuer: number; findIssuerByDomain: number }> {
  const counts = { listIssuers: 0, getIssuer: 0, findIssuerByDomain: 0 };
  const target = store as unknown as Record<keyof typeof counts, (...args: unknown[]) => unknown>;
  const originals = { ...counts } as unknown as Record<keyof typeof counts, (...args: unknown[]) => unknown>;
  for (const name of Object.keys(counts) as (keyof typeof counts)[]) {
    const original = target[name];
    originals[name] = original;
    target[name] = (...args: unknown[]) => {
      counts[name] += 1;
      return original.apply(store, args);
    };
  }
  try {
    await work();
  } finally {
    for (const name of Object.keys(counts) as (keyof typeof counts)[]) target[name] = originals[name];
  }
  return counts;
}

describe('home-realm discovery by e-mail domain, above signIn.chooserLimit', () => {
  let fixture: GatewayFixture;
  const get = (query: string) => fixture.app.inject({ method: 'GET', url: `/signin?${query}` });
  before(async () => {
    fixture = await createGatewayFixture({ flags: { 'signIn.chooserLimit': 3 } });
    const add = (name: string, extra: Record<string, unknown>) =>
      fixture.store.createIssuer(
        {
          name,
          issuerUri: `https://${name}.example.test/`,
          loginUrl: `https://${name}.example.test/wsfed`,
          ...extra,
        },
        'test',
      );
    await add('contoso', { domains: ['contoso.com'] });
    await add('fabrikam', { domains: ['fabrikam.co.uk', 'bücher.example'] });
    await add('hidden', { domains: ['hidden.example'], useForLogin: false });
    await add('other-1', {});
    await add('other-2', {});
  });
  after(() => fixture.close());

  it('asks for an e-mail address instead of listing more issuers than the limit: a plain GET form', async () => {
    const page = await get('returnUrl=%2Freports');
    assert.equal(page.statusCode, 200);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.ok(!page.body.includes('<script'));
    assert.ok(page.body.includes('<form method="get" action="/signin">'));
    assert.ok(page.body.includes('<input type="hidden" name="returnUrl" value="/reports">'));
    assert.match(page.body, /<input type="text" id="login_hint" name="login_hint"[^>]* required value="">/);
    assert.ok(!page.body.includes('whr='), 'no issuer is listed');
    assert.ok(!page.body.includes('role="alert"'));
  });

  it('sends an address to the issuer holding its domain, in any case or in Unicode', async () => {
    assert.equal(landing(await get('returnUrl=%2F&login_hint=bob%40contoso.com')), CONTOSO);
    assert.equal(landing(await get('returnUrl=%2F&login_hint=Bob.Smith%40CONTOSO.COM.')), CONTOSO);
    assert.equal(
      landing(await get(`returnUrl=%2F&login_hint=${encodeURIComponent('anna@BÜCHER.example')}`)),
      FABRIKAM,
    );
    const response = await get('returnUrl=%2Freports&login_hint=bob%40contoso.com');
    const location = new URL(String(response.headers.location));
    assert.equal(location.searchParams.get('wa'), 'wsignin1.0');
    assert.equal(location.searchParams.get('wtrealm'), PUBLIC_URL);
    assert.ok(response.headers['set-cookie'], 'the sign-in binding cookie is set as for whr');
  });

  it('routes domain_hint the same way', async () => {
    assert.equal(landing(await get('returnUrl=%2F&domain_hint=fabrikam.co.uk')), FABRIKAM);
    assert.equal(landing(await get('returnUrl=%2F&domain_hint=FABRIKAM.CO.UK.')), FABRIKAM);
    assert.equal(
      landing(await get('returnUrl=%2F&domain_hint=contoso.com&login_hint=a%40fabrikam.co.uk')),
      CONTOSO,
    );
  });

  it('finds the issuer with one read by domain: never the list of issuers, nor a read by name', async () => {
    const counts = await countReads(fixture.store, async () => {
      assert.equal(landing(await get('returnUrl=%2F&login_hint=bob%40contoso.com')), CONTOSO);
    });
    assert.deepEqual(counts, { listIssuers: 0, getIssuer: 0, findIssuerByDomain: 1 });
  });

  it('shows the form again for a domain no issuer holds, saying so, with the address escaped', async () => {
    const address = '"><script>alert(1)</script>@nowhere.example';
    const page = await get(`returnUrl=%2F&login_hint=${encodeURIComponent(address)}`);
    assert.equal(page.statusCode, 200);
    assert.match(
      page.body,
      /<p role="alert">Signing in with an address at nowhere\.example is not set up here\./,
    );
    assert.ok(!page.body.includes('<script>'));
    assert.ok(page.body.includes('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;@nowhere.example"'));
    assert.ok(page.body.includes('name="login_hint"'));
    assert.doesNotMatch(page.body, /\n\s+at /, 'no stack trace');
  });

  it('says what is wrong with an address that has no usable domain, or none at all', async () => {
    for (const [hint, message] of [
      ['bob', 'That is not an e-mail address.'],
      ['bob%40*.contoso.com', 'That is not an e-mail address.'],
      ['bob%40192.0.2.1', 'That is not an e-mail address.'],
      ['', 'Enter your e-mail address.'],
    ] as const) {
      const page = await get(`returnUrl=%2F&login_hint=${hint}`);
      assert.equal(page.statusCode, 200, hint);
      assert.ok(page.body.includes(`<p role="alert">${message}`), hint);
    }
    const page = await get('returnUrl=%2F&domain_hint=*.contoso.com');
    assert.equal(page.statusCode, 200);
    assert.ok(page.body.includes('<p role="alert">That is not a domain name such as example.com.'));
  });

  it('shows the IDN domain of an unknown address in Unicode', async () => {
    const page = await get(`returnUrl=%2F&login_hint=${encodeURIComponent('a@münchen.example')}`);
    assert.ok(page.body.includes('an address at münchen.example is not set up'), page.body);
  });

  it('does not route to an issuer the realm does not offer: not used for login, or not allowed by the realm', async () => {
    const hidden = await get('returnUrl=%2F&login_hint=eve%40hidden.example');
    assert.equal(hidden.statusCode, 200);
    assert.ok(hidden.body.includes('hidden.example is not set up'));
    const realm = (await fixture.store.listRealms())[0]!;
    const fabrikam = (await fixture.store.getIssuer('fabrikam'))!;
    await fixture.store.updateRealm(realm.id, { allowedIssuerIds: [fabrikam.id, fixture.issuer.id] }, 'test');
    try {
      assert.equal(landing(await get('returnUrl=%2F&login_hint=bob%40contoso.com')), 'HTTP 200');
      assert.equal(landing(await get('returnUrl=%2F&domain_hint=contoso.com')), 'HTTP 200');
      assert.equal(landing(await get('returnUrl=%2F&login_hint=bob%40fabrikam.co.uk')), FABRIKAM);
    } finally {
      await fixture.store.updateRealm(realm.id, { allowedIssuerIds: [] }, 'test');
    }
  });

  it('gives whr priority over the hints, and follows a hint when whr names no offered issuer', async () => {
    const simWsfed = fixture.sim.tenantUrls().wsfed;
    assert.ok(
      (await get('returnUrl=%2F&whr=sim&login_hint=bob%40contoso.com')).headers.location
        ?.toString()
        .startsWith(simWsfed),
    );
    assert.equal(landing(await get('returnUrl=%2F&whr=hidden&login_hint=bob%40contoso.com')), CONTOSO);
    assert.equal(landing(await get('returnUrl=%2F&whr=nobody&domain_hint=contoso.com')), CONTOSO);
  });

  it("lets a hint override the realm's home realm, which still applies without one", async () => {
    const realm = (await fixture.store.listRealms())[0]!;
    await fixture.store.updateRealm(realm.id, { homeRealm: 'fabrikam' }, 'test');
    try {
      assert.equal(landing(await get('returnUrl=%2F')), FABRIKAM);
      assert.equal(landing(await get('returnUrl=%2F&login_hint=bob%40contoso.com')), CONTOSO);
      const unknown = await get('returnUrl=%2F&login_hint=bob%40nowhere.example');
      assert.equal(unknown.statusCode, 200, 'an unknown domain asks again rather than guessing');
    } finally {
      await fixture.store.updateRealm(realm.id, { homeRealm: null }, 'test');
    }
  });

  it('follows a domain freed by one issuer and claimed by another at once', async () => {
    const contoso = (await fixture.store.getIssuer('contoso'))!;
    const fabrikam = (await fixture.store.getIssuer('fabrikam'))!;
    await fixture.store.updateIssuer(contoso.id, { domains: [] }, 'test');
    try {
      assert.equal(landing(await get('returnUrl=%2F&login_hint=bob%40contoso.com')), 'HTTP 200');
      await fixture.store.updateIssuer(
        fabrikam.id,
        { domains: [...fabrikam.domains, 'contoso.com'] },
        'test',
      );
      assert.equal(landing(await get('returnUrl=%2F&login_hint=bob%40contoso.com')), FABRIKAM);
    } finally {
      await fixture.store.updateIssuer(fabrikam.id, { domains: fabrikam.domains }, 'test');
      await fixture.store.updateIssuer(contoso.id, { domains: ['contoso.com'] }, 'test');
    }
  });
});

describe('the chooser at or below signIn.chooserLimit', () => {
  let fixture: GatewayFixture;
  before(async () => {
    fixture = await createGatewayFixture();
    await fixture.store.createIssuer(
      {
        name: 'partner',
        issuerUri: 'https://partner.example.test/',
        loginUrl: 'https://partner.example.test/wsfed',
      },
      'test',
    );
  });
  after(() => fixture.close());

  it('lists the issuers without an e-mail box while none has domains', async () => {
    const page = await fixture.app.inject({ method: 'GET', url: '/signin?returnUrl=%2F' });
    assert.equal(page.statusCode, 200);
    assert.ok(page.body.includes('whr=partner'));
    assert.ok(page.body.includes('whr=sim'));
    assert.ok(!page.body.includes('login_hint'));
  });

  it('lists them below an e-mail box once one has domains, and routes the address', async () => {
    const partner = (await fixture.store.getIssuer('partner'))!;
    await fixture.store.updateIssuer(partner.id, { domains: ['partner.example'] }, 'test');
    try {
      const page = await fixture.app.inject({ method: 'GET', url: '/signin?returnUrl=%2F' });
      assert.equal(page.statusCode, 200);
      const form = page.body.indexOf('name="login_hint"');
      assert.ok(form > 0);
      assert.ok(page.body.indexOf('whr=partner') > form, 'the list follows the form');
      assert.ok(page.body.includes('whr=sim'));
      const routed = await fixture.app.inject({
        method: 'GET',
        url: '/signin?returnUrl=%2F&login_hint=amy%40partner.example',
      });
      assert.equal(landing(routed), 'https://partner.example.test/wsfed');
    } finally {
      await fixture.store.updateIssuer(partner.id, { domains: [] }, 'test');
    }
  });

  it('always asks with a limit of 0, listing nothing', async () => {
    const { config } = loadConfig({
      env: {},
      flags: { mode: 'development', 'server.port': 8787, 'signIn.chooserLimit': 0 },
    });
    const app = createGatewayServer({
      config,
      store: fixture.store,
      engine: fixture.engine,
      now: () => START,
    });
    try {
      const page = await app.inject({ method: 'GET', url: '/signin?returnUrl=%2F' });
      assert.equal(page.statusCode, 200);
      assert.ok(page.body.includes('name="login_hint"'));
      assert.ok(!page.body.includes('whr='));
    } finally {
      await app.close();
    }
  });
});

describe('a realm offering a single issuer', () => {
  let fixture: GatewayFixture;
  before(async () => {
    fixture = await createGatewayFixture();
  });
  after(() => fixture.close());

  it('sends every sign-in to it, whatever domain a hint names', async () => {
    const simWsfed = fixture.sim.tenantUrls().wsfed;
    for (const query of [
      'returnUrl=%2F',
      'returnUrl=%2F&login_hint=bob%40nowhere.example',
      'returnUrl=%2F&domain_hint=x',
    ])
      assert.equal(
        landing(await fixture.app.inject({ method: 'GET', url: `/signin?${query}` })),
        simWsfed,
        query,
      );
  });
});

describe('the log of a sign-in by e-mail address', () => {
  let fixture: GatewayFixture;
  let app: FastifyInstance;
  const lines: string[] = [];
  before(async () => {
    fixture = await createGatewayFixture();
    await fixture.store.createIssuer(
      {
        name: 'contoso',
        issuerUri: 'https://contoso.example.test/',
        loginUrl: CONTOSO,
        domains: ['contoso.com'],
      },
      'test',
    );
    const logger = createGatewayLogger({
      level: 'info',
      destination: lineDestination((line) => lines.push(line)),
    });
    const { config } = loadConfig({ env: {}, flags: { mode: 'development', 'server.port': 8787 } });
    app = createGatewayServer({
      config,
      store: fixture.store,
      engine: fixture.engine,
      now: () => START,
      logger,
    });
  });
  after(async () => {
    await app.close();
    await fixture.close();
  });

  it('holds the domain and the issuer, never the address', async () => {
    const routed = await app.inject({
      method: 'GET',
      url: '/signin?returnUrl=%2F&login_hint=secret.person%40contoso.com',
    });
    assert.equal(landing(routed), CONTOSO);
    const unknown = await app.inject({
      method: 'GET',
      url: '/signin?returnUrl=%2F&login_hint=hidden.person%40nowhere.example',
    });
    assert.equal(unknown.statusCode, 200);
    const everything = lines.join('\n');
    assert.ok(!everything.includes('secret.person'), everything);
    assert.ok(!everything.includes('hidden.person'), everything);
    const events = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.event === 'home-realm-discovery');
    assert.deepEqual(
      events.map(({ via, domain, issuer }) => ({ via, domain, issuer })),
      [
        { via: 'login_hint', domain: 'contoso.com', issuer: 'contoso' },
        { via: 'login_hint', domain: 'nowhere.example', issuer: null },
      ],
    );
  });
});
