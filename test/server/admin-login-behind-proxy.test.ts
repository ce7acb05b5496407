/**
 * Behind a reverse proxy, the client address the admin login throttle
 * counts is the one the proxy appended to X-Forwarded-For, never an entry
 * the client wrote itself (security review, finding F5).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { hashPassword } from '../../src/management/account-passwords.js';
import { cookiePair, createGatewayFixture, setCookieOf } from './gateway-fixture.js';

const PROXY = '10.0.0.2';
const EDGE = '10.0.0.3';
const ATTACKER = '198.51.100.66';
const OFFICE = '203.0.113.7';
const PASSWORD = 'correct horse battery';

/** A login as the proxies forward it: the peer is `peer`, X-Forwarded-For the client-sent entry, then what each proxy appended. */
async function login(
  app: FastifyInstance,
  password: string,
  chain: readonly string[],
  peer = PROXY,
): Promise<number> {
  const headers = { 'x-forwarded-for': chain.join(', ') };
  const form = await app.inject({ method: 'GET', url: '/admin/login', remoteAddress: peer, headers });
  const token = /name="_csrf" value="([^"]*)"/.exec(form.body)![1]!;
  const cookie = cookiePair(setCookieOf(form, 'claimsgate_admin_login')!);
  const answer = await app.inject({
    method: 'POST',
    url: '/admin/login',
    remoteAddress: peer,
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded', cookie },
    payload: new URLSearchParams({ _csrf: token, username: 'admin', password }).toString(),
  });
  return answer.statusCode;
}

async function attack(
  app: FastifyInstance,
  forged: (i: number) => string,
  real: readonly string[],
  peer?: string,
) {
  const codes: number[] = [];
  for (let i = 0; i < 6; i += 1) codes.push(await login(app, `guess-${i}`, [forged(i), ...real], peer));
  return codes;
}

describe('the admin login throttle behind a reverse proxy', () => {
  it('with trustProxy (one proxy), counts the address the proxy appended, whatever the client sends before it', async () => {
    const fixture = await createGatewayFixture({ flags: { 'server.trustProxy': true } });
    try {
      await fixture.store.createAdminAccount(
        { username: 'admin', passwordHash: await hashPassword(PASSWORD) },
        'test',
      );
      assert.equal(await login(fixture.app, PASSWORD, [OFFICE]), 303);
      // A fresh forged entry each time: still one client, locked after five failures.
      const rotated = await attack(fixture.app, (i) => `192.0.2.${i + 1}`, [ATTACKER]);
      assert.deepEqual(rotated, [401, 401, 401, 401, 401, 429]);
      // Claiming the office address locks only the attacker's own: the admin still gets in from the office.
      await attack(fixture.app, () => OFFICE, [ATTACKER]);
      assert.equal(await login(fixture.app, PASSWORD, [OFFICE]), 303);
    } finally {
      await fixture.close();
    }
  });

  it('with trustedProxies (two proxies), counts the right-most address that is not one of them', async () => {
    const fixture = await createGatewayFixture({ flags: { 'server.trustedProxies': [PROXY, EDGE] } });
    try {
      await fixture.store.createAdminAccount(
        { username: 'admin', passwordHash: await hashPassword(PASSWORD) },
        'test',
      );
      // Client → edge (appends the client) → proxy (appends the edge) → gateway.
      const rotated = await attack(fixture.app, (i) => `192.0.2.${i + 1}`, [ATTACKER, EDGE]);
      assert.deepEqual(rotated, [401, 401, 401, 401, 401, 429]);
      assert.equal(await login(fixture.app, PASSWORD, [OFFICE, EDGE]), 303);
    } finally {
      await fixture.close();
    }
  });
});
