import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RouteOptions } from 'fastify';
import { adminCaller, callApi, operationsOf } from './admin-api-helpers.js';
import { createGatewayFixture, type GatewayFixture } from './gateway-fixture.js';

type Json = Record<string, unknown>;

/** Every `$ref` in a JSON value, with where it was found. */
function collectRefs(value: unknown, at = '#', found: Array<[string, string]> = []): Array<[string, string]> {
  if (Array.isArray(value)) value.forEach((item, index) => collectRefs(item, `${at}/${index}`, found));
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (key === '$ref' && typeof item === 'string') found.push([at, item]);
      else collectRefs(item, `${at}/${key}`, found);
    }
  }
  return found;
}

/** Resolves a local JSON pointer (`#/components/schemas/Issuer`) in the document, or undefined. */
function resolvePointer(document: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = document;
  for (const part of ref.slice(2).split('/')) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return undefined;
    node = (node as Json)[key];
  }
  return node;
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

describe('admin API OpenAPI document', () => {
  let fixture: GatewayFixture;
  let document: Json;
  const registered: Array<{ method: string; url: string }> = [];

  before(async () => {
    fixture = await createGatewayFixture();
    // Routes are registered when the plugins load (at ready): this hook sees every admin API route.
    fixture.app.addHook('onRoute', (route: RouteOptions) => {
      for (const method of [route.method].flat()) registered.push({ method, url: route.url });
    });
    await fixture.app.ready();
    const admin = await adminCaller(fixture);
    const response = await callApi(fixture, 'GET', '/admin/api/openapi.json', admin);
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    document = response.json();
  });

  after(async () => {
    await fixture.close();
  });

  it('is served only to administrators', async () => {
    assert.equal((await callApi(fixture, 'GET', '/admin/api/openapi.json')).statusCode, 401);
  });

  it('lists every registered admin API route, and nothing that is not registered', () => {
    const actual = registered
      .filter((route) => route.url.startsWith('/admin/api/') && route.method !== 'HEAD')
      .map((route) => `${route.method} ${route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`)
      .sort();
    const documented = operationsOf(document as never)
      .map(({ method, path }) => `${method} ${path}`)
      .sort();
    assert.ok(actual.length >= 27, `only ${actual.length} routes registered`);
    assert.deepEqual(documented, actual);
    for (const { method, path } of operationsOf(document as never)) {
      const url = path.replace(/\{([^}]+)\}/g, ':$1');
      assert.ok(fixture.app.hasRoute({ method: method, url }), `${method} ${url} is registered`);
    }
  });

  it('has the structure OpenAPI 3.1 requires', () => {
    assert.equal(document['openapi'], '3.1.0');
    const info = document['info'] as Json;
    assert.equal(typeof info['title'], 'string');
    assert.equal(typeof info['version'], 'string');
    const tags = new Set((document['tags'] as Json[]).map((tag) => tag['name']));
    const components = document['components'] as Json;
    const schemes = components['securitySchemes'] as Record<string, Json>;
    assert.deepEqual(schemes['sessionCookie'], {
      type: 'apiKey',
      in: 'cookie',
      name: fixture.config.session.cookieName,
      description: schemes['sessionCookie']!['description'],
    });
    assert.equal(schemes['csrfToken']?.['in'], 'header');
    assert.equal(schemes['csrfToken']?.['name'], 'X-CSRF-Token');
    const operationIds = new Set<string>();
    for (const [path, item] of Object.entries(document['paths'] as Record<string, Json>)) {
      assert.ok(path.startsWith('/admin/api/'), path);
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
      for (const [method, value] of Object.entries(item)) {
        assert.ok(METHODS.has(method), `${path}: ${method} is an HTTP method`);
        const operation = value as Json;
        const where = `${method.toUpperCase()} ${path}`;
        assert.equal(typeof operation['operationId'], 'string', where);
        assert.ok(!operationIds.has(operation['operationId'] as string), `${where}: operationId is unique`);
        operationIds.add(operation['operationId'] as string);
        for (const tag of operation['tags'] as string[])
          assert.ok(tags.has(tag), `${where}: tag ${tag} is declared`);
        const responses = operation['responses'] as Record<string, Json>;
        assert.ok(Object.keys(responses).length > 0, where);
        for (const [status, response] of Object.entries(responses)) {
          assert.match(status, /^[1-5][0-9][0-9]$/, where);
          assert.ok(
            typeof response['description'] === 'string' || typeof response['$ref'] === 'string',
            where,
          );
        }
        for (const status of ['401', '403']) assert.ok(responses[status], `${where} documents ${status}`);
        const security = operation['security'] as Array<Record<string, unknown>>;
        const needsCsrf = method !== 'get';
        assert.equal(Object.hasOwn(security[0]!, 'csrfToken'), needsCsrf, `${where}: CSRF in security`);
        assert.ok(Object.hasOwn(security[0]!, 'sessionCookie'), where);
        for (const scheme of Object.keys(security[0]!))
          assert.ok(schemes[scheme], `${where}: scheme ${scheme}`);
        const parameters = (operation['parameters'] ?? []) as Json[];
        for (const name of templated) {
          const parameter = parameters.find(
            (candidate) => candidate['name'] === name && candidate['in'] === 'path',
          );
          assert.ok(parameter, `${where}: path parameter ${String(name)} declared`);
          assert.equal(parameter['required'], true);
        }
        for (const parameter of parameters) {
          assert.ok(['path', 'query', 'header', 'cookie'].includes(parameter['in'] as string), where);
          assert.ok(parameter['schema'], where);
        }
        if (operation['requestBody'] !== undefined) {
          const body = operation['requestBody'] as { content: Record<string, Json> };
          assert.ok(body.content['application/json']?.['schema'], where);
        }
      }
    }
  });

  it('resolves every $ref, and describes every error answer with the Problem schema', () => {
    const refs = collectRefs(document);
    assert.ok(refs.length > 50);
    for (const [at, ref] of refs) {
      assert.notEqual(resolvePointer(document, ref), undefined, `${ref} (at ${at}) resolves`);
    }
    const responses = (document['components'] as Json)['responses'] as Record<string, Json>;
    for (const [name, response] of Object.entries(responses)) {
      const schema = ((response['content'] as Json)['application/json'] as Json)['schema'];
      assert.deepEqual(schema, { $ref: '#/components/schemas/Problem' }, name);
    }
    const problem = resolvePointer(document, '#/components/schemas/Problem') as Json;
    assert.deepEqual(problem['required'], ['code', 'message']);
  });

  it('describes request bodies that refuse additional properties, as the routes do', async () => {
    const schemas = (document['components'] as Json)['schemas'] as Record<string, Json>;
    for (const name of [
      'IssuerInput',
      'IssuerUpdate',
      'AddKeyInput',
      'ImportRequest',
      'ImportApplyRequest',
      'RealmInput',
    ]) {
      assert.equal(schemas[name]?.['additionalProperties'], false, name);
    }
    const admin = await adminCaller(fixture);
    const refused = await callApi(fixture, 'POST', '/admin/api/realms', admin, {
      realmUri: 'urn:x',
      replyUrl: 'https://x.example/',
      extra: 1,
    });
    assert.equal(refused.statusCode, 400);
  });
});
