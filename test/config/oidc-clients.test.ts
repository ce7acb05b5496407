import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { expectInvalid, KEYED_ENV, memoryFiles, problemAt } from './config-test-helpers.js';

const SECRET = 'a-client-secret-that-is-never-echoed';

describe('the oidc.clients setting', () => {
  it('is empty by default', () => {
    const { config, sources } = loadConfig({ env: KEYED_ENV, flags: {} });
    assert.deepEqual(config.oidc.clients, {});
    assert.equal(sources['oidc.clients'], 'default');
  });

  it('reads JSON from the environment, resolves a secret reference and defaults responseType to code', () => {
    const { config, sources } = loadConfig({
      env: {
        ...KEYED_ENV,
        CLAIMSGATE_OIDC_CLIENTS: JSON.stringify({
          'contoso-entra': {
            clientId: '6731de76-14a6-49ae-97bc-6eba6914391e',
            clientSecret: 'env:ENTRA_SECRET',
          },
          'fabrikam-oidc': { clientId: 'fabrikam-gateway', responseType: 'id_token' },
        }),
        ENTRA_SECRET: `${SECRET}\n`,
      },
      flags: {},
    });
    assert.equal(sources['oidc.clients'], 'env');
    assert.deepEqual(config.oidc.clients, {
      'contoso-entra': {
        clientId: '6731de76-14a6-49ae-97bc-6eba6914391e',
        clientSecret: SECRET,
        responseType: 'code',
      },
      'fabrikam-oidc': { clientId: 'fabrikam-gateway', responseType: 'id_token' },
    });
    assert.ok(Object.isFrozen(config.oidc.clients['contoso-entra']));
  });

  it('reads a mapping from the configuration file and a file: reference for the secret', () => {
    const files = memoryFiles({
      '/etc/claimsgate.yaml': [
        'oidc:',
        '  clients:',
        '    contoso-entra:',
        '      clientId: 6731de76-14a6-49ae-97bc-6eba6914391e',
        '      clientSecret: file:/run/secrets/entra',
      ].join('\n'),
      '/run/secrets/entra': `${SECRET}\n`,
    });
    const { config } = loadConfig({
      file: '/etc/claimsgate.yaml',
      env: KEYED_ENV,
      flags: {},
      readFile: files,
    });
    assert.equal(config.oidc.clients['contoso-entra']?.clientSecret, SECRET);
    assert.equal(config.oidc.clients['contoso-entra']?.responseType, 'code');
  });

  it('reports every bad registration by its path, with suggestions, and never echoes a value', () => {
    const { error, problems } = expectInvalid(() =>
      loadConfig({
        env: {
          ...KEYED_ENV,
          CLAIMSGATE_OIDC_CLIENTS: JSON.stringify({
            'contoso-entra': { clientID: 'x', clientSecret: SECRET, responseType: 'id-token' },
            fabrikam: 'fabrikam-gateway',
            ' padded': { clientId: 'ok' },
            spaced: { clientId: ' leading-space', clientSecret: '' },
          }),
        },
        flags: {},
      }),
    );
    assert.match(
      problemAt(problems, 'oidc.clients.contoso-entra.clientID').message,
      /did you mean clientId\?/,
    );
    assert.match(problemAt(problems, 'oidc.clients.contoso-entra.clientId').message, /is required/);
    assert.match(
      problemAt(problems, 'oidc.clients.contoso-entra.responseType').message,
      /did you mean id_token\?/,
    );
    assert.match(problemAt(problems, 'oidc.clients.fabrikam').message, /got a string/);
    problemAt(problems, 'oidc.clients. padded');
    problemAt(problems, 'oidc.clients.spaced.clientId');
    problemAt(problems, 'oidc.clients.spaced.clientSecret');
    assert.ok(problems.every((problem) => problem.source === 'env' && problem.observed === undefined));
    assert.ok(!JSON.stringify(error.toJSON()).includes(SECRET));
  });

  it('reports a secret reference that does not resolve at the secret’s path, without the secret', () => {
    const { problems } = expectInvalid(() =>
      loadConfig({
        env: KEYED_ENV,
        flags: {
          'oidc.clients': { 'contoso-entra': { clientId: 'client-1', clientSecret: 'env:MISSING_SECRET' } },
        },
      }),
    );
    const problem = problemAt(problems, 'oidc.clients.contoso-entra.clientSecret');
    assert.equal(problem.source, 'flag');
    assert.match(problem.message, /env:MISSING_SECRET names an environment variable that is not set/);
  });

  it('refuses a value that is not a mapping, from the environment or a flag', () => {
    const fromEnv = expectInvalid(() =>
      loadConfig({ env: { ...KEYED_ENV, CLAIMSGATE_OIDC_CLIENTS: 'contoso=client-1' }, flags: {} }),
    );
    assert.match(problemAt(fromEnv.problems, 'oidc.clients').message, /expected a mapping of issuer names/);
    const fromFlag = expectInvalid(() => loadConfig({ env: KEYED_ENV, flags: { 'oidc.clients': [] } }));
    assert.match(problemAt(fromFlag.problems, 'oidc.clients').message, /got a list/);
  });
});
