import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isClaimsgateError } from '../../../src/lib/errors.js';
import { readAuditFilter, summariseChange } from '../../../src/server/admin-site/audit-page.js';
import { looksLikeCertificate } from '../../../src/server/admin-site/key-pages.js';
import { describeAge } from '../../../src/server/admin-site/tool-pages.js';
import { createTestCertificate } from '../../helpers/certificates.js';

const NO_FILTERS = { issuer: '', action: '', actor: '', from: '', to: '', text: '', after: '' };

describe('admin site views', () => {
  it('summarises an update field by field, a creation by its non-empty fields, a deletion as removed', () => {
    assert.deepEqual(
      summariseChange(
        { state: 'active', id: 'k1', days: 3 },
        { state: 'revoked', id: 'k1', days: 3, reason: 'leak' },
      ),
      ['state: active → revoked', 'reason: leak'],
    );
    assert.deepEqual(
      summariseChange(null, { id: 'x', issuerId: 'y', label: 'SIM', groupClaim: null, tenants: [] }),
      ['label: SIM'],
    );
    assert.deepEqual(summariseChange({ label: 'SIM' }, null), ['label: SIM → (removed)']);
    assert.deepEqual(summariseChange('a', 'b'), ['before: a', 'after: b']);
    assert.deepEqual(summariseChange(null, null), []);
  });

  it('cuts a long summary to eight lines and says how many more there were', () => {
    const after = Object.fromEntries(Array.from({ length: 12 }, (_, index) => [`f${index}`, index]));
    const lines = summariseChange(null, after);
    assert.equal(lines.length, 9);
    assert.equal(lines[8], '… 4 more');
  });

  it('reads audit dates as whole UTC days, both ends included', () => {
    const filter = readAuditFilter({ ...NO_FILTERS, from: '2026-03-02', to: '2026-03-02', after: '40' });
    assert.equal(filter.since?.toISOString(), '2026-03-02T00:00:00.000Z');
    assert.equal(filter.until?.toISOString(), '2026-03-03T00:00:00.000Z');
    assert.equal(filter.afterId, 40);
    assert.equal(filter.limit, 50);
    assert.deepEqual(readAuditFilter(NO_FILTERS), { limit: 50 });
  });

  it('refuses an audit date that is not YYYY-MM-DD, a "to" before "from", and a bad page position, naming the field', () => {
    for (const [values, field] of [
      [{ ...NO_FILTERS, from: '02/03/2026' }, 'from'],
      [{ ...NO_FILTERS, to: '2026-02-30x' }, 'to'],
      [{ ...NO_FILTERS, from: '2026-03-05', to: '2026-03-01' }, 'to'],
      [{ ...NO_FILTERS, after: '-1' }, 'after'],
    ] as const) {
      assert.throws(
        () => readAuditFilter(values),
        (error: unknown) =>
          isClaimsgateError(error, 'CG_ADMIN_INPUT_INVALID') && error.detail.field === field,
      );
    }
  });

  it('tells a pasted certificate from a pasted thumbprint', async () => {
    const certificate = await createTestCertificate();
    assert.equal(looksLikeCertificate(certificate.pem), true);
    assert.equal(looksLikeCertificate(certificate.base64), true);
    assert.equal(
      looksLikeCertificate('\u200e3b 1e 4f 2a 9c 0d 7e 6b 5a 48 39 2c 1d 0e 9f 8a 7b 6c 5d 4e'),
      false,
    );
    assert.equal(looksLikeCertificate('AB:'.repeat(32)), false, 'a SHA-256 with colons');
    assert.equal(looksLikeCertificate('A'.repeat(70)), false, 'too many hex digits is a bad thumbprint');
  });

  it('describes ages in the largest useful units', () => {
    assert.equal(describeAge(42), '42 s');
    assert.equal(describeAge(150), '2 min');
    assert.equal(describeAge(3 * 3600 + 12 * 60), '3 h 12 min');
    assert.equal(describeAge(2 * 86_400 + 4 * 3600), '2 d 4 h');
  });
});
