import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { someTrustedIssuers, type TrustedIssuer } from '../../src/tokens/trust-snapshot.js';

function trust(count: number) {
  const issuers = Array.from({ length: count }, (_, index): TrustedIssuer => ({
    issuer: `https://issuer-${index}.test/`,
    allowedTenants: [],
    audiences: [],
    allowSha1: false,
    lastRefresh: undefined,
  }));
  return { issuers: () => issuers };
}

describe('someTrustedIssuers', () => {
  it('names every issuer when there are ten or fewer', () => {
    assert.deepEqual(someTrustedIssuers(trust(2)), ['https://issuer-0.test/', 'https://issuer-1.test/']);
    assert.equal(someTrustedIssuers(trust(10)).length, 10);
  });

  it('names the first ten and counts the rest, so a refusal stays small with 10,000 issuers', () => {
    const named = someTrustedIssuers(trust(10_000));
    assert.equal(named.length, 11);
    assert.equal(named[9], 'https://issuer-9.test/');
    assert.equal(named[10], '… and 9990 more');
  });
});
