import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createGatewayServer } from '../../src/server/create-gateway-server.js';
import type { IssuerRecord } from '../../src/store/model.js';
import type { Store } from '../../src/store/store.js';
import {
  createGatewayFixture,
  setCookieOf,
  signInThroughGateway,
  type GatewayFixture,
} from './gateway-fixture.js';

/**
 * The fixture's store as a store written before labels were unique reads:
 * one more issuer, `partner`, whose label is the `sim` issuer's mapping label
 * in another case. (This release refuses to write such a label.)
 */
function legacyView(store: Store, partner: IssuerRecord): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'listIssuers') return async () => [...(await target.listIssuers()), partner];
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('sign-in through an issuer whose label another issuer shares', () => {
  let fixture: GatewayFixture;
  before(async () => {
    fixture = await createGatewayFixture();
  });
  after(() => fixture.close());

  it('refuses it with CG_TRUST_LABEL_SHARED and issues no session, while a unique label signs in', async () => {
    const partner: IssuerRecord = {
      ...fixture.issuer,
      id: '5f0c1c7e-0000-4000-8000-000000000001',
      name: 'partner',
      issuerUri: 'https://partner.test/',
      metadataUrl: null,
      label: 'sim',
    };
    const legacy = createGatewayServer({
      config: fixture.config,
      store: legacyView(fixture.store, partner),
      engine: fixture.engine,
      now: fixture.now,
    });
    try {
      const refused = await signInThroughGateway(legacy, '/', 'alice', 'sim');
      assert.equal(refused.statusCode, 400);
      assert.match(refused.body, /CG_TRUST_LABEL_SHARED/);
      assert.equal(setCookieOf(refused, 'claimsgate_session'), undefined);
    } finally {
      await legacy.close();
    }
    const signedIn = await signInThroughGateway(fixture.app, '/', 'alice', 'sim');
    assert.equal(signedIn.statusCode, 303);
    assert.ok(setCookieOf(signedIn, 'claimsgate_session'));
  });
});
