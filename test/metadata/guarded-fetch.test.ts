import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { checkAddress, isLoopbackName, specialRangeOf } from '../../src/metadata/address-policy.js';
import { fetchMetadata } from '../../src/metadata/fetch-metadata.js';
import { isLoopbackUrl } from '../../src/metadata/metadata-url.js';
import { createGuardedFetch, guardedLookup, type ResolveAll } from '../../src/metadata/guarded-fetch.js';
import { createRolloverEngine } from '../../src/rollover/rollover-engine.js';
import { openStore } from '../../src/store/open-store.js';
import { createTestCertificate } from '../helpers/certificates.js';
import { discoveryText, jwksText } from '../helpers/oidc-documents.js';
import { startOidcServer } from '../helpers/oidc-server.js';

/**
 * A resolver that answers from a table and never asks DNS. Every name the
 * tests connect to resolves to 127.0.0.1, so that a guard that failed would
 * still only ever reach this machine; private ranges are tested without a
 * connection (guardedLookup called directly).
 */
function fakeResolver(table: Readonly<Record<string, readonly string[]>>): ResolveAll & { asked: string[] } {
  const asked: string[] = [];
  const resolve = (
    hostname: string,
    callback: (error: NodeJS.ErrnoException | null, a: LookupAddress[]) => void,
  ) => {
    asked.push(hostname);
    const addresses = table[hostname];
    if (addresses === undefined) {
      callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
      return;
    }
    callback(
      null,
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    );
  };
  return Object.assign(resolve, { asked });
}

/** Runs the guarded lookup for `host` and returns the error code or the addresses. */
function lookUp(
  host: string,
  table: Readonly<Record<string, readonly string[]>>,
  privateHosts: readonly string[] = [],
): Promise<string | readonly string[]> {
  const lookup = guardedLookup({ privateHosts }, fakeResolver(table));
  return new Promise((resolve) => {
    lookup(host, { all: true }, (error, addresses) => {
      if (error !== null)
        resolve(isClaimsgateError(error) ? error.code : String((error as NodeJS.ErrnoException).code));
      else resolve((addresses as LookupAddress[]).map((entry) => entry.address));
    });
  });
}

describe('the metadata address policy', () => {
  it('names the special range of loopback, private, link-local and unspecified addresses, in every form', () => {
    for (const [address, range] of [
      ['127.0.0.1', 'loopback'],
      ['127.255.0.9', 'loopback'],
      ['::1', 'loopback'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:7f00:1', 'loopback'],
      ['10.0.0.5', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.1.1', 'private'],
      ['fc00::1', 'private'],
      ['fd12:3456::1', 'private'],
      ['::ffff:10.1.2.3', 'private'],
      ['64:ff9b::a00:1', 'private'],
      ['169.254.169.254', 'link-local'],
      ['::ffff:169.254.169.254', 'link-local'],
      ['fe80::1', 'link-local'],
      ['fe80::1%eth0', 'link-local'],
      ['0.0.0.0', 'unspecified'],
      ['::', 'unspecified'],
      ['100.64.0.1', 'shared'],
      ['224.0.0.251', 'multicast'],
      // Translated and tunnelled forms, and ranges that are never a real issuer's (security review).
      ['::ffff:0:7f00:1', 'loopback'],
      ['::ffff:0:a9fe:a9fe', 'link-local'],
      ['2002:7f00:1::1', 'loopback'],
      ['2002:a9fe:a9fe::', 'link-local'],
      ['64:ff9b:1::a9fe:a9fe', 'NAT64 (local use)'],
      ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
      ['2001:db8::1', 'reserved'],
      ['198.18.0.1', 'reserved'],
      ['192.0.0.8', 'reserved'],
      ['192.0.2.1', 'reserved'],
      ['198.51.100.7', 'reserved'],
      ['203.0.113.9', 'reserved'],
    ] as const) {
      assert.ok(
        specialRangeOf(address)?.startsWith(range),
        `${address} is ${range}: ${specialRangeOf(address)}`,
      );
    }
    for (const address of [
      '8.8.8.8',
      '172.32.0.1',
      '192.169.0.1',
      '2606:4700::1111',
      '::ffff:8.8.8.8',
      '2002:808:808::1',
    ])
      assert.equal(specialRangeOf(address), undefined, address);
  });

  it('allows loopback only to a URL that names this machine', () => {
    for (const host of ['localhost', 'LOCALHOST.', 'api.localhost', '127.0.0.1', '[::1]', '0.0.0.0'])
      assert.equal(isLoopbackName(host), true, host);
    for (const host of ['localhost.example.com', 'example.test', '10.0.0.1'])
      assert.equal(isLoopbackName(host), false, host);
    assert.doesNotThrow(() => checkAddress('localhost', '127.0.0.1', { privateHosts: [] }));
    assert.doesNotThrow(() => checkAddress('[::1]', '::1', { privateHosts: [] }));
    assert.throws(() => checkAddress('localhost', '10.0.0.1', { privateHosts: [] }), {
      code: 'CG_META_URL_INSECURE',
    });
  });

  it('calls no IPv6 form that embeds a loopback IPv4 address this machine’s name, for the URL and the connect check alike', () => {
    for (const host of [
      '[::127.0.0.1]',
      '[::ffff:0:7f00:1]',
      '[64:ff9b::7f00:1]',
      '[2002:7f00:1::]',
      '[::2]',
    ]) {
      assert.equal(isLoopbackName(host), false, host);
      assert.equal(isLoopbackUrl(new URL(`http://${host}/metadata.xml`)), false, host);
      const address = host.slice(1, -1);
      assert.throws(
        () => checkAddress(host, address, { privateHosts: [] }),
        { code: 'CG_META_URL_INSECURE' },
        host,
      );
    }
    for (const host of ['[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '127.1.2.3', '[::]']) {
      assert.equal(isLoopbackName(host), true, host);
      assert.equal(isLoopbackUrl(new URL(`http://${host}/metadata.xml`)), true, host);
    }
  });

  it('refuses a public name that resolves to a loopback, private or link-local address, at lookup', async () => {
    for (const address of [
      '127.0.0.1',
      '10.0.0.5',
      '192.168.0.10',
      '169.254.169.254',
      'fd00::1',
      '::ffff:127.0.0.1',
      '0.0.0.0',
    ])
      assert.equal(
        await lookUp('idp.example.test', { 'idp.example.test': [address] }),
        'CG_META_URL_INSECURE',
        address,
      );
    assert.deepEqual(await lookUp('idp.example.test', { 'idp.example.test': ['93.184.216.34'] }), [
      '93.184.216.34',
    ]);
  });

  it('refuses an answer that mixes a public and a private address, whatever the order (DNS rebinding)', async () => {
    assert.equal(
      await lookUp('idp.example.test', { 'idp.example.test': ['93.184.216.34', '10.0.0.5'] }),
      'CG_META_URL_INSECURE',
    );
  });

  it('lets the hosts, addresses and ranges listed in privateHosts resolve to private addresses', async () => {
    const table = { 'adfs.corp.example': ['10.20.0.7'], 'other.corp.example': ['10.20.0.8'] };
    assert.deepEqual(await lookUp('adfs.corp.example', table, ['ADFS.corp.example']), ['10.20.0.7']);
    assert.deepEqual(await lookUp('other.corp.example', table, ['10.20.0.0/16']), ['10.20.0.8']);
    assert.equal(await lookUp('other.corp.example', table, ['adfs.corp.example']), 'CG_META_URL_INSECURE');
    assert.equal(await lookUp('other.corp.example', table, ['10.21.0.0/16']), 'CG_META_URL_INSECURE');
  });

  it('passes a resolver failure on as it is', async () => {
    assert.equal(await lookUp('missing.example.test', {}), 'ENOTFOUND');
  });
});

describe('fetchMetadata through the guarded fetch', () => {
  let server: Server;
  let port: number;
  let requests: string[];
  before(async () => {
    requests = [];
    server = createServer((request, response) => {
      requests.push(`${request.headers.host ?? ''}${request.url ?? ''}`);
      const url = new URL(request.url ?? '/', 'http://x');
      if (url.pathname === '/redirect') {
        response.writeHead(302, { location: url.searchParams.get('to') ?? '/' }).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function codeOf(
    url: string,
    resolve: ResolveAll,
    privateHosts: readonly string[] = [],
  ): Promise<string> {
    const guarded = createGuardedFetch({ resolve, privateHosts });
    try {
      const result = await fetchMetadata(url, { fetch: guarded.fetch, allowHttp: true, timeoutMs: 5000 });
      return result.status;
    } catch (error) {
      assert.ok(isClaimsgateError(error), String(error));
      return error.code;
    } finally {
      await guarded.close();
    }
  }

  it('fetches from a URL that names loopback, as the IdP simulator and the tests do', async () => {
    assert.equal(await codeOf(`http://127.0.0.1:${port}/keys`, fakeResolver({})), 'ok');
    const resolve = fakeResolver({ localhost: ['127.0.0.1'] });
    assert.equal(await codeOf(`http://localhost:${port}/keys`, resolve), 'ok');
  });

  it('refuses a DNS name that resolves to 127.0.0.1 before connecting, and lets it through when listed', async () => {
    const before = requests.length;
    const resolve = fakeResolver({ 'idp.example.test': ['127.0.0.1'] });
    assert.equal(await codeOf(`http://idp.example.test:${port}/keys`, resolve), 'CG_META_URL_INSECURE');
    assert.deepEqual(resolve.asked, ['idp.example.test']);
    assert.equal(requests.length, before, 'no request reached the server');
    assert.equal(await codeOf(`http://idp.example.test:${port}/keys`, resolve, ['idp.example.test']), 'ok');
  });

  it('checks every redirect hop at connect time', async () => {
    const resolve = fakeResolver({ 'evil.example.test': ['127.0.0.1'] });
    const before = requests.length;
    const to = encodeURIComponent(`http://evil.example.test:${port}/keys`);
    assert.equal(await codeOf(`http://127.0.0.1:${port}/redirect?to=${to}`, resolve), 'CG_META_URL_INSECURE');
    assert.equal(requests.length, before + 1, 'only the first hop was requested');
  });

  it('refuses a URL whose host is a private IP, without any lookup or connection', async () => {
    const resolve = fakeResolver({});
    assert.equal(await codeOf(`http://10.0.0.5:${port}/keys`, resolve), 'CG_META_URL_INSECURE');
    assert.equal(await codeOf(`http://[fd00::5]:${port}/keys`, resolve), 'CG_META_URL_INSECURE');
    assert.equal(await codeOf(`http://169.254.169.254/latest/meta-data/`, resolve), 'CG_META_URL_INSECURE');
    assert.deepEqual(resolve.asked, []);
  });
});

describe('a jwks_uri that resolves to this machine', () => {
  let directory: string;
  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'claimsgate-ssrf-'));
  });
  after(() => rmSync(directory, { recursive: true, force: true }));

  it('is refused at connect time by the rollover engine, and fetched once its host is listed', async () => {
    const issuer = 'https://login.test/tenant-1/v2.0';
    const certificate = await createTestCertificate();
    const server = await startOidcServer(
      (_origin, jwksUrl) => ({
        body: discoveryText(issuer, jwksUrl.replace('127.0.0.1', 'keys.example.test')),
      }),
      { body: jwksText([certificate]) },
    );
    const resolve = fakeResolver({ 'keys.example.test': ['127.0.0.1'] });
    for (const [privateHosts, outcome] of [
      [[], 'failure'],
      [['keys.example.test'], 'success'],
    ] as const) {
      const store = await openStore(join(directory, `ssrf-${privateHosts.length}.db`));
      const guarded = createGuardedFetch({ resolve, privateHosts });
      const engine = createRolloverEngine({
        store,
        fetch: guarded.fetch,
        allowHttp: true,
        logger: () => undefined,
      });
      try {
        await store.createIssuer(
          { name: 'entra', issuerUri: issuer, protocols: ['oidc'], metadataUrl: server.discoveryUrl },
          'admin:test',
        );
        const result = await engine.refreshIssuer('entra', { force: true });
        assert.equal(result.outcome, outcome);
        if (outcome === 'failure') {
          assert.equal(result.code, 'CG_META_URL_INSECURE');
          assert.equal(server.jwksLog().requests, 0, 'the key set was never requested');
        } else {
          assert.equal(server.jwksLog().requests, 1);
        }
      } finally {
        await engine.stop();
        await guarded.close();
        await store.close();
      }
    }
    await server.close();
  });
});
