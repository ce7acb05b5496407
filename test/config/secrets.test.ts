import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { expectInvalid, memoryFiles, problemAt, SECRET_BASE64, SECRET_HEX } from './config-test-helpers.js';

describe('secret settings', () => {
  it('resolves env: and file: references at load', () => {
    const file = [
      'session:',
      '  keys:',
      '    - { id: a, secret: "env:CG_KEY_A" }',
      '    - { id: b, secret: "file:/run/secrets/key-b" }',
      'rollover:',
      '  webhook:',
      '    url: https://hooks.example.com/a',
      '    headers: { Authorization: "file:/run/secrets/hook" }',
      'database:',
      '  url: env:DB_URL',
      '',
    ].join('\n');
    const { config } = loadConfig({
      file: 'c.yaml',
      env: { CG_KEY_A: SECRET_HEX, DB_URL: 'postgres://u:p@db/claimsgate' },
      flags: {},
      readFile: memoryFiles({
        'c.yaml': file,
        '/run/secrets/key-b': `${SECRET_BASE64}\n`,
        '/run/secrets/hook': 'Bearer hook-token\n',
      }),
    });
    assert.deepEqual(config.session.keys, [
      { id: 'a', secret: SECRET_HEX },
      { id: 'b', secret: SECRET_BASE64 },
    ]);
    assert.deepEqual(config.rollover.webhook?.headers, { Authorization: 'Bearer hook-token' });
    assert.equal(config.database.url, 'postgres://u:p@db/claimsgate');
  });

  it('reports a missing reference by its name, not a value', () => {
    const { problems } = expectInvalid(() =>
      loadConfig({
        env: {
          CLAIMSGATE_SESSION_KEYS: 'a:env:CG_MISSING,b:file:/run/secrets/missing,c:env:CG_EMPTY',
          CG_EMPTY: ' ',
        },
        flags: {},
        readFile: memoryFiles({}),
      }),
    );
    assert.match(problemAt(problems, 'session.keys[0].secret').message, /env:CG_MISSING/);
    assert.match(problemAt(problems, 'session.keys[1].secret').message, /file:\/run\/secrets\/missing/);
    assert.match(problemAt(problems, 'session.keys[2].secret').message, /env:CG_EMPTY/);
    assert.ok(problems.every((problem) => problem.source === 'env' && problem.observed === undefined));
  });

  it('refuses weak, malformed and duplicate keys with their paths', () => {
    const { problems } = expectInvalid(() =>
      loadConfig({
        env: {
          CLAIMSGATE_SESSION_KEYS: JSON.stringify([
            { id: 'short', secret: 'abcdef' },
            { id: 'same', secret: 'a'.repeat(64) },
            { id: 'bad id!', secret: SECRET_HEX },
            { id: 'short', secret: SECRET_HEX },
            { id: 'nosecret' },
            { id: 'extra', secret: SECRET_HEX, secrte: 'x' },
          ]),
        },
        flags: {},
      }),
    );
    assert.deepEqual(
      problems.map((problem) => problem.path).sort(),
      ['session.keys[2].id', 'session.keys[3].id', 'session.keys[4].secret', 'session.keys[5].secrte'].sort(),
      'shape problems come first; strength is checked once the shape is right',
    );
    const weak = expectInvalid(() =>
      loadConfig({
        env: {
          CLAIMSGATE_SESSION_KEYS: JSON.stringify([
            { id: 'short', secret: 'abcdef' },
            { id: 'same', secret: 'a'.repeat(64) },
          ]),
        },
        flags: {},
      }),
    );
    assert.deepEqual(
      weak.problems.map((problem) => problem.path),
      ['session.keys[0].secret', 'session.keys[1].secret'],
    );
  });

  it('never puts a secret value in an error message, hint, detail or warning', () => {
    const secret = 'S3cr3t-Value-That-Must-Not-Leak';
    const attempts: (() => unknown)[] = [
      // A weak key given directly.
      () => loadConfig({ env: { CLAIMSGATE_SESSION_KEYS: `k:${secret}` }, flags: {} }),
      // A key with a bad shape around the secret.
      () =>
        loadConfig({
          env: { CLAIMSGATE_SESSION_KEYS: JSON.stringify([{ id: 'bad id', secret, more: secret }]) },
          flags: {},
        }),
      // A secret under a misspelt key in the file, and a secret-looking misspelt variable.
      () =>
        loadConfig({
          file: 'c.yaml',
          env: { CLAIMSGATE_SESSION_KYES: secret, CLAIMSGATE_OTHER_TOOL_TOKEN: secret },
          flags: {},
          readFile: memoryFiles({ 'c.yaml': `session:\n  kyes: ${secret}\n  secret: ${secret}\n` }),
        }),
      // Headers that cannot be used, and a database URL of the wrong type.
      () =>
        loadConfig({
          env: {
            CLAIMSGATE_ROLLOVER_WEBHOOK_URL: 'https://hooks.example.com',
            CLAIMSGATE_ROLLOVER_WEBHOOK_HEADERS: JSON.stringify({
              'Bad Header': secret,
              Host: secret,
              X: `${secret}\r\n`,
            }),
          },
          flags: { 'database.url': 42 },
        }),
      // A webhook URL carrying credentials.
      () =>
        loadConfig({
          env: { CLAIMSGATE_ROLLOVER_WEBHOOK_URL: `https://user:${secret}@hooks.example.com/a` },
          flags: {},
        }),
      // Syntax errors next to a secret, in JSON and in YAML.
      () =>
        loadConfig({
          file: 'c.json',
          env: {},
          flags: {},
          readFile: memoryFiles({ 'c.json': `{"session":{"keys":[{"id":"a","secret":"${secret}"}]} oops` }),
        }),
      () =>
        loadConfig({
          file: 'c.yaml',
          env: {},
          flags: {},
          readFile: memoryFiles({ 'c.yaml': `session:\n  keys: [{ id: a, secret: "${secret}" }\n  : ]]\n` }),
        }),
      () =>
        loadConfig({
          file: 'c.yaml',
          env: {},
          flags: {},
          readFile: memoryFiles({
            'c.yaml': `session:\n  keys:\n    - { id: a, secret: !custom "${secret}" }\n`,
          }),
        }),
      // The YAML parser quotes unknown directives and unexpected tokens.
      () =>
        loadConfig({
          file: 'c.yaml',
          env: {},
          flags: {},
          readFile: memoryFiles({ 'c.yaml': `%${secret}\n---\nmode: production\n]${secret}\n` }),
        }),
    ];
    for (const [index, attempt] of attempts.entries()) {
      let caught: unknown;
      try {
        attempt();
      } catch (error) {
        caught = error;
      }
      assert.ok(isClaimsgateError(caught, 'CG_CONFIG_INVALID'), `attempt ${index} should fail`);
      const everything = `${caught.message}\n${caught.hint}\n${JSON.stringify(caught.detail)}`;
      assert.ok(!everything.includes(secret), `attempt ${index} leaked the secret:\n${everything}`);
    }
    const { warnings } = loadConfig({
      env: { CLAIMSGATE_MODE: 'development', CLAIMSGATE_OTHER_TOOL_TOKEN: secret },
      flags: {},
    });
    assert.ok(warnings.length > 0 && warnings.every((warning) => !warning.includes(secret)));
  });
});
