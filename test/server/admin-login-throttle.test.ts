import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressKey, DEFAULT_LOGIN_THROTTLE_POLICY } from '../../src/server/admin-access/login-throttle.js';

describe('the admin sign-in throttle’s address key', () => {
  it('keeps an IPv4 address, and reads an IPv4-mapped IPv6 address as IPv4', () => {
    assert.equal(addressKey('192.0.2.10'), '192.0.2.10');
    assert.equal(addressKey('::ffff:192.0.2.10'), '192.0.2.10');
    assert.equal(addressKey('::FFFF:192.0.2.10'), '192.0.2.10');
  });

  it('counts an IPv6 address by its /64, however it is written', () => {
    const key = '2001:db8:0:1::/64';
    for (const ip of [
      '2001:db8:0:1::1',
      '2001:0db8:0000:0001:ffff:ffff:ffff:ffff',
      '2001:DB8:0:1:0:0:0:2',
      '[2001:db8:0:1::9]',
    ])
      assert.equal(addressKey(ip), key, ip);
    assert.notEqual(addressKey('2001:db8:0:2::1'), key);
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
  });

  it('never yields an empty key', () => {
    assert.equal(addressKey(''), 'unknown');
  });

  it('has a per-account limit far above the per-pair one, so that the owner is not the first locked out', () => {
    const policy = DEFAULT_LOGIN_THROTTLE_POLICY;
    assert.ok(
      policy.pairFailures < policy.addressFailures && policy.addressFailures < policy.accountFailures,
    );
  });
});
