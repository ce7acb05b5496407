import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDuration } from '../../src/idp-sim/parse-duration.js';

describe('parseDuration', () => {
  it('reads a whole number with one unit into milliseconds', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('2m'), 120_000);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('168h'), 604_800_000);
  });

  it('refuses bare numbers, fractions, spaces, zero, other units and more than a week', () => {
    for (const text of ['2', '1.5m', ' 2m', '2 m', '0s', '05s', '2d', '2M', '-1s', '169h', '', '2m30s']) {
      assert.throws(() => parseDuration(text), TypeError, text);
    }
  });
});
