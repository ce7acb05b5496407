import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { editDistance, suggestName } from '../../src/config/suggest-name.js';

describe('suggestName', () => {
  it('counts a swap of neighbouring letters as one edit', () => {
    assert.equal(editDistance('prot', 'port'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });

  it('suggests near misses, other spellings of the same words and names missing their unit', () => {
    const known = ['port', 'host', 'idleTimeoutSeconds', 'fetchTimeoutMs'];
    assert.equal(suggestName('prot', known), 'port');
    assert.equal(suggestName('idle_timeout_seconds', known), 'idleTimeoutSeconds');
    assert.equal(suggestName('idleTimeout', known), 'idleTimeoutSeconds');
    assert.equal(suggestName('fetchTimeout', known), 'fetchTimeoutMs');
  });

  it('suggests nothing for names that are not close', () => {
    assert.equal(suggestName('unrelated', ['port', 'host']), undefined);
    assert.equal(suggestName('', ['port']), undefined);
    assert.equal(suggestName('SHARED_FIXTURES', ['SESSION_KEYS', 'SERVER_PORT']), undefined);
  });
});
