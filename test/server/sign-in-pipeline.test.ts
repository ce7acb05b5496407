import assert from 'node:assert/strict';
import { inflateRawSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { buildAuthnRequest, redirectBindingUrl } from '../../src/server/saml-authn-request.js';
import { attribute } from '../../src/xml/dom.js';
import { parseXml } from '../../src/xml/parse-xml.js';
import {
  bindingCookieOf,
  createGatewayFixture,
  postForm,
  PUBLIC_URL,
  setCookieOf,
  signInAtSimulator,
  START,
  type GatewayFixture,
} from './gateway-fixture.js';

const COOKIE = 'claimsgate_session';
const SECOND_TENANT = 'second-tenant';

type Protocol = 'wsfed' | 'saml2' | 'oidc';

/** A sign-in answered by the simulator: the form it posts back and the binding cookie of the browser that started it. */
interface Answer {
  readonly location: URL;
  readonly fields: Record<string, string>;
  readonly cookie: string;
}

/**
 * One protocol of the table: where its answer goes, which field carries the
 * state and which the token, the issuers A and B it signs in with, and how
 * it refuses an answer without state (the only refusal a strategy words
 * itself: SAML calls it unsolicited).
 */
interface Row {
  readonly protocol: Protocol;
  readonly stateField: string;
  readonly tokenField: string;
  readonly issuerA: string;
  readonly issuerB: string;
  readonly missingStateCode: string;
  /** Another protocol whose token this one must refuse by its kind. */
  readonly foreign: Protocol;
  /** How a token of `foreign` is posted in this protocol's token field. */
  readonly asForeignToken: (foreignFields: Record<string, string>) => string;
}

function samlXml(fields: Record<string, string>): string {
  return Buffer.from(fields.SAMLResponse!, 'base64').toString('utf8');
}

const ROWS: readonly Row[] = [
  {
    protocol: 'wsfed',
    stateField: 'wctx',
    tokenField: 'wresult',
    issuerA: 'sim',
    issuerB: 'sim2',
    missingStateCode: 'CG_SESSION_MALFORMED',
    foreign: 'saml2',
    asForeignToken: samlXml,
  },
  {
    protocol: 'saml2',
    stateField: 'RelayState',
    tokenField: 'SAMLResponse',
    issuerA: 'sim',
    issuerB: 'sim2',
    missingStateCode: 'CG_TOKEN_IN_RESPONSE_TO_MISMATCH',
    foreign: 'wsfed',
    asForeignToken: (fields) => Buffer.from(fields.wresult!, 'utf8').toString('base64'),
  },
  {
    protocol: 'oidc',
    stateField: 'state',
    tokenField: 'id_token',
    issuerA: 'oidc-a',
    issuerB: 'oidc-b',
    missingStateCode: 'CG_SESSION_MALFORMED',
    foreign: 'saml2',
    asForeignToken: samlXml,
  },
];

/** The issuer A of each protocol, to start a sign-in whose token another protocol is offered. */
const ISSUER_A: Readonly<Record<Protocol, string>> = { wsfed: 'sim', saml2: 'sim', oidc: 'oidc-a' };

describe('the sign-in pipeline refuses the same failures in the same order for every protocol', () => {
  let fixture: GatewayFixture;

  before(async () => {
    fixture = await createGatewayFixture({
      secondTenant: SECOND_TENANT,
      flags: {
        'oidc.clients': {
          'oidc-a': { clientId: 'pipeline-client-a', responseType: 'id_token' },
          'oidc-b': { clientId: 'pipeline-client-b', responseType: 'id_token' },
        },
      },
    });
    const { store, engine, sim } = fixture;
    await store.updateIssuer(fixture.issuer.id, { protocols: ['wsfed', 'saml2'] }, 'test');
    const sim2 = await store.getIssuer('sim2');
    await store.updateIssuer(sim2!.id, { protocols: ['wsfed', 'saml2'] }, 'test');
    for (const [name, tenant, label] of [
      ['oidc-a', undefined, 'OIDCA'],
      ['oidc-b', SECOND_TENANT, 'OIDCB'],
    ] as const) {
      const urls = sim.tenantUrls(tenant);
      const issuer = await store.createIssuer(
        {
          name,
          issuerUri: urls.oidcIssuer,
          protocols: ['oidc'],
          metadataUrl: urls.openIdConfiguration,
          label,
        },
        'test',
      );
      await store.createClaimMapping({ issuerId: issuer.id, label, nameClaim: 'preferred_username' }, 'test');
      await engine.refreshIssuer(name, { force: true });
    }
    await engine.reload();
  });
  after(() => fixture.close());

  /** `GET /signin` for `protocol` at `issuer`: the redirect to the simulator and the binding cookie it set. */
  async function start(protocol: Protocol, issuer: string): Promise<{ location: URL; cookie: string }> {
    const query = new URLSearchParams({ returnUrl: '/', whr: issuer, protocol });
    const response = await fixture.app.inject({ method: 'GET', url: `/signin?${query.toString()}` });
    assert.equal(response.statusCode, 302, response.body);
    return { location: new URL(response.headers.location as string), cookie: bindingCookieOf(response) };
  }

  /** A whole sign-in at the simulator, up to the form it posts back to the gateway. */
  async function answer(protocol: Protocol, issuer: string): Promise<Answer> {
    const started = await start(protocol, issuer);
    const form = await signInAtSimulator(started.location.href);
    assert.equal(form.action, `${PUBLIC_URL}/signin/${protocol}`);
    return { ...started, fields: form.fields };
  }

  /**
   * Issuer B's answer to a sign-in the gateway sent to issuer A: the
   * browser carries A's request (its state, and for SAML its request ID) to B.
   */
  async function answerFromB(row: Row): Promise<Answer> {
    const started = await start(row.protocol, row.issuerA);
    const urlsB = fixture.sim.tenantUrls(SECOND_TENANT);
    let atB: URL;
    if (row.protocol === 'saml2') {
      const encoded = started.location.searchParams.get('SAMLRequest')!;
      const requestId = attribute(parseXml(inflateRawSync(Buffer.from(encoded, 'base64'))).root, 'ID')!;
      const request = buildAuthnRequest({
        id: requestId,
        issueInstant: START,
        destination: urlsB.saml2,
        assertionConsumerServiceUrl: `${PUBLIC_URL}/signin/saml2`,
        issuer: PUBLIC_URL,
      });
      atB = new URL(
        redirectBindingUrl(urlsB.saml2, request, started.location.searchParams.get('RelayState')!),
      );
    } else {
      atB = new URL(row.protocol === 'wsfed' ? urlsB.wsfed : urlsB.authorize);
      atB.search = started.location.search;
    }
    const form = await signInAtSimulator(atB.href);
    return { ...started, fields: form.fields };
  }

  function post(row: Row, fields: Record<string, string>, cookie: string): Promise<LightMyRequestResponse> {
    return postForm(fixture.app, `/signin/${row.protocol}`, fields, cookie);
  }

  function assertRefused(response: LightMyRequestResponse, code: string): void {
    assert.equal(response.statusCode, 400, response.body);
    assert.ok(response.body.includes(code), `expected ${code} on the error page`);
    assert.equal(setCookieOf(response, COOKIE), undefined, 'no session for a refused sign-in');
  }

  function assertSignedIn(response: LightMyRequestResponse): void {
    assert.equal(response.statusCode, 303, response.body);
    assert.ok(setCookieOf(response, COOKIE) !== undefined, 'a session cookie');
  }

  for (const row of ROWS) {
    describe(`${row.protocol} (POST /signin/${row.protocol})`, () => {
      it('refuses an answer without state, and nothing is used up', async () => {
        const genuine = await answer(row.protocol, row.issuerA);
        const { [row.stateField]: state, ...withoutState } = genuine.fields;
        assert.ok(state !== undefined, `the answer carries ${row.stateField}`);
        assertRefused(await post(row, withoutState, genuine.cookie), row.missingStateCode);
        assertSignedIn(await post(row, genuine.fields, genuine.cookie));
      });

      it('checks the binding before it burns the state: another browser cannot use it up', async () => {
        const genuine = await answer(row.protocol, row.issuerA);
        const other = await start(row.protocol, row.issuerA);
        assertRefused(await post(row, genuine.fields, other.cookie), 'CG_SESSION_BINDING_MISMATCH');
        assertRefused(await post(row, genuine.fields, ''), 'CG_SESSION_BINDING_MISMATCH');
        assertSignedIn(await post(row, genuine.fields, genuine.cookie));
      });

      it(`burns the state, then refuses a ${row.foreign} token by its kind before it is recorded as used`, async () => {
        const foreign = await answer(row.foreign, ISSUER_A[row.foreign]);
        const target = await answer(row.protocol, row.issuerA);
        const offered = { ...target.fields, [row.tokenField]: row.asForeignToken(foreign.fields) };
        assertRefused(await post(row, offered, target.cookie), 'CG_TOKEN_FORMAT_UNKNOWN');
        // The state came first: it is spent, even for the genuine token.
        assertRefused(await post(row, target.fields, target.cookie), 'CG_TOKEN_REPLAYED');
        // The kind came before any replay record: the foreign token still signs in where it belongs.
        const home = await postForm(fixture.app, `/signin/${row.foreign}`, foreign.fields, foreign.cookie);
        assertSignedIn(home);
      });

      it("refuses issuer B's token finishing a sign-in sent to issuer A with CG_TOKEN_ISSUER_MISMATCH", async () => {
        const fromB = await answerFromB(row);
        assertRefused(await post(row, fromB.fields, fromB.cookie), 'CG_TOKEN_ISSUER_MISMATCH');
      });

      it('signs in once and refuses the same answer posted again with CG_TOKEN_REPLAYED', async () => {
        const genuine = await answer(row.protocol, row.issuerA);
        assertSignedIn(await post(row, genuine.fields, genuine.cookie));
        assertRefused(await post(row, genuine.fields, genuine.cookie), 'CG_TOKEN_REPLAYED');
      });
    });
  }
});
