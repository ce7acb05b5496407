/**
 * A remote discovery document may not point the gateway's code redemption
 * at this machine: the token endpoint is linked from the document like a
 * jwks_uri, under the same SSRF rule (security review, finding F6).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { it } from 'node:test';
import { createRolloverEngine } from '../../src/rollover/rollover-engine.js';
import { createTestCertificate } from '../helpers/certificates.js';
import { jwksText } from '../helpers/oidc-documents.js';
import { createGatewayFixture } from './gateway-fixture.js';

const REMOTE = 'https://login.idp.test';
const ISSUER = `${REMOTE}/tenant/v2.0`;

async function listen(handler: (request: IncomingMessage) => { type: string; body: string }): Promise<{
  origin: string;
  requests: string[];
  close(): Promise<void>;
}> {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    const { type, body } = handler(request);
    response.writeHead(200, { 'content-type': type }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

it('refuses to start a code-flow sign-in whose remote discovery document names a loopback token endpoint, and sends it nothing', async () => {
  const victim = await listen(() => ({ type: 'application/json', body: '{}' }));
  const cert = await createTestCertificate();
  const idp = await listen((request) =>
    request.url?.startsWith('/keys') === true
      ? { type: 'application/json', body: jwksText([cert]) }
      : {
          type: 'application/json',
          body: JSON.stringify({
            issuer: ISSUER,
            authorization_endpoint: `${REMOTE}/authorize`,
            token_endpoint: `${victim.origin}/internal/admin/flush`,
            jwks_uri: `${REMOTE}/keys`,
            response_types_supported: ['code'],
            subject_types_supported: ['public'],
            id_token_signing_alg_values_supported: ['RS256'],
          }),
        },
  );
  // The remote issuer is reached through a fetch that maps its https origin to the loopback server.
  const remoteFetch: typeof globalThis.fetch = (input, init) => {
    const url = new URL(new Request(input, init).url);
    return globalThis.fetch(`${idp.origin}${url.pathname}${url.search}`);
  };
  const fixture = await createGatewayFixture({
    flags: {
      'oidc.clients': { remote: { clientId: 'gateway-client', clientSecret: 'S3cret-never-leaves' } },
    },
  });
  try {
    await fixture.store.createIssuer(
      {
        name: 'remote',
        issuerUri: ISSUER,
        protocols: ['oidc'],
        metadataUrl: `${REMOTE}/tenant/v2.0/.well-known/openid-configuration`,
      },
      'test',
    );
    const engine = createRolloverEngine({
      store: fixture.store,
      fetch: remoteFetch,
      logger: () => undefined,
    });
    assert.equal((await engine.refreshIssuer('remote', { force: true })).outcome, 'success');
    await engine.stop();
    await fixture.engine.reload();

    const start = await fixture.app.inject({ method: 'GET', url: '/signin?whr=remote' });
    assert.equal(start.statusCode, 400, start.body);
    assert.ok(start.body.includes('CG_CONFIG_SIGN_IN_UNAVAILABLE'));
    assert.deepEqual(victim.requests, []);
  } finally {
    await fixture.close();
    await idp.close();
    await victim.close();
  }
});
