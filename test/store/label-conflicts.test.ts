import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findLabelConflicts, labelKey } from '../../src/store/label-conflicts.js';

const issuer = (id: string, name: string, label: string) => ({ id, name, label });

describe('labels shared by issuers', () => {
  it('compares labels without regard to case, after NFC', () => {
    assert.equal(labelKey('SIM'), labelKey('sim'));
    assert.equal(labelKey('Caf\u00e9'), labelKey('CAFE\u0301'));
  });

  it('finds a label two issuers use, through their own labels or their mappings, and nothing else', () => {
    const issuers = [
      issuer('1', 'real', 'SIM'),
      issuer('2', 'partner', 'PARTNER'),
      issuer('3', 'other', 'OTHER'),
    ];
    assert.deepEqual(findLabelConflicts(issuers, [{ issuerId: '1', label: 'sim' }]), []);
    assert.deepEqual(findLabelConflicts(issuers, [{ issuerId: '2', label: 'Sim' }]), [
      {
        label: 'Sim',
        issuers: [
          { id: '2', name: 'partner' },
          { id: '1', name: 'real' },
        ],
      },
    ]);
    assert.deepEqual(
      findLabelConflicts([...issuers, issuer('4', 'again', 'other')], []).map((conflict) => conflict.issuers),
      [
        [
          { id: '4', name: 'again' },
          { id: '3', name: 'other' },
        ],
      ],
    );
    // A mapping of an issuer that is not listed owns nothing.
    assert.deepEqual(findLabelConflicts(issuers, [{ issuerId: 'gone', label: 'SIM' }]), []);
  });
});
