import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { expectInvalid, KEYED_ENV, memoryFiles, problemAt } from './config-test-helpers.js';

function loadFile(name: string, text: string): ReturnType<typeof loadConfig> {
  return loadConfig({ file: name, env: KEYED_ENV, flags: {}, readFile: memoryFiles({ [name]: text }) });
}

describe('the configuration file', () => {
  it('names what replaced a retired setting (rollover.cooldownSeconds), in the file and in the environment', () => {
    const fromFile = expectInvalid(() => loadFile('c.yaml', 'rollover:\n  cooldownSeconds: 60\n'));
    assert.match(problemAt(fromFile.problems, 'rollover.cooldownSeconds').message, /fetchSpacingSeconds/);
    const fromEnv = expectInvalid(() =>
      loadConfig({ env: { ...KEYED_ENV, CLAIMSGATE_ROLLOVER_COOLDOWN_SECONDS: '60' }, flags: {} }),
    );
    assert.match(
      problemAt(fromEnv.problems, 'CLAIMSGATE_ROLLOVER_COOLDOWN_SECONDS').message,
      /fetchSpacingSeconds/,
    );
  });

  it('refuses unknown keys at any depth, suggesting near misses and settings of other sections', () => {
    const { problems } = expectInvalid(() =>
      loadFile(
        'c.yaml',
        [
          'server:',
          '  prot: 9000',
          'session:',
          '  idle_timeout_seconds: 60',
          '  idleTimeout: 60',
          'rollover:',
          '  alerts:',
          '    expiryDay: [1]',
          '  clockSkewSeconds: 10',
          'sever: {}',
          'unrelated: true',
          '',
        ].join('\n'),
      ),
    );
    assert.deepEqual(
      problems.map((problem) => problem.path),
      [
        'server.prot',
        'session.idle_timeout_seconds',
        'session.idleTimeout',
        'rollover.alerts.expiryDay',
        'rollover.clockSkewSeconds',
        'sever',
        'unrelated',
      ],
    );
    assert.match(problemAt(problems, 'server.prot').message, /did you mean server\.port\?/);
    assert.match(problemAt(problems, 'session.idle_timeout_seconds').message, /session\.idleTimeoutSeconds/);
    assert.match(problemAt(problems, 'session.idleTimeout').message, /session\.idleTimeoutSeconds/);
    assert.match(problemAt(problems, 'rollover.alerts.expiryDay').message, /rollover\.alerts\.expiryDays/);
    assert.match(problemAt(problems, 'rollover.clockSkewSeconds').message, /validation\.clockSkewSeconds/);
    assert.match(problemAt(problems, 'sever').message, /did you mean server\?/);
    assert.doesNotMatch(problemAt(problems, 'unrelated').message, /did you mean/);
    assert.ok(problems.every((problem) => problem.source === 'file' && problem.observed === undefined));
  });

  it('refuses a section that is not a mapping and a prototype key', () => {
    const { problems } = expectInvalid(() =>
      loadFile('c.json', '{"server": 8080, "__proto__": {"mode": "development"}}'),
    );
    assert.equal(problemAt(problems, 'server').source, 'file');
    problemAt(problems, '__proto__');
  });

  it('refuses a YAML alias bomb quickly', () => {
    let yaml = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    let previous = 'a';
    for (const name of ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']) {
      yaml += `${name}: &${name} [${Array.from({ length: 9 }, () => `*${previous}`).join(',')}]\n`;
      previous = name;
    }
    const started = performance.now();
    const { problems } = expectInvalid(() => loadFile('bomb.yaml', yaml));
    assert.ok(performance.now() - started < 2_000, 'the alias expansion is stopped early');
    assert.deepEqual(
      problems.map(({ path, source }) => ({ path, source })),
      [{ path: '(file)', source: 'file' }],
    );
  });

  it('accepts a few YAML aliases', () => {
    const { config } = loadFile('c.yaml', 'admin:\n  adminClaim:\n    type: &role role\n    value: *role\n');
    assert.deepEqual(config.admin.adminClaim, { type: 'role', value: 'role', issuers: [] });
  });

  it('refuses duplicate keys in YAML and in JSON', () => {
    const yaml = expectInvalid(() => loadFile('c.yml', 'server:\n  port: 1\n  port: 2\n'));
    assert.equal(yaml.problems[0]!.path, '(file)');
    const json = expectInvalid(() => loadFile('c.json', '{"server":{"port":1,"port":2}}'));
    assert.equal(json.problems[0]!.path, '(file)');
  });

  it('refuses YAML tags, standard or custom', () => {
    for (const text of [
      'server:\n  host: !!binary aGVsbG8=\n',
      'server:\n  port: !!int "1"\n',
      'mode: !env MODE\n',
    ]) {
      const { problems } = expectInvalid(() => loadFile('c.yaml', text));
      assert.equal(problems[0]!.path, '(file)', text);
    }
  });

  it('reports unparseable files, unknown extensions and unreadable paths as file problems', () => {
    for (const [name, text] of [
      ['c.yaml', 'server: [unclosed\n'],
      ['c.json', '{"server": }'],
      ['c.toml', 'port = 1'],
      ['c.yaml', '- a list\n'],
    ] as const) {
      const { problems } = expectInvalid(() => loadFile(name, text));
      assert.deepEqual(
        problems.map(({ path, source }) => ({ path, source })),
        [{ path: '(file)', source: 'file' }],
        `${name}: ${text}`,
      );
    }
    const { problems } = expectInvalid(() =>
      loadConfig({ file: 'missing.yaml', env: {}, flags: {}, readFile: memoryFiles({}) }),
    );
    assert.equal(
      problems.length,
      1,
      'a missing key is not reported while the file that may hold it is unread',
    );
    assert.equal(problems[0]!.path, '(file)');
  });

  it('accepts an empty file', () => {
    assert.equal(loadFile('c.yaml', '').config.server.port, 8787);
  });
});
