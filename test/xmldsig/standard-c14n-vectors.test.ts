/**
 * Exclusive canonical forms written by two standard implementations —
 * libxml2 (libxmlsec's canonicaliser) and the JDK's Apache Santuario — for
 * hand-written edge cases and 400 fuzzed namespace-heavy documents with every
 * character class c14n treats specially. claimsgate's canonicaliser must write
 * the same bytes. Where an implementation deviates from the specification or
 * cannot read a document, the vector records it and the rule of
 * test/fixtures/standard-xmldsig/README.md gives the expected form.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { buildDom } from '../../src/xml/build-dom.js';
import { childElements } from '../../src/xml/dom.js';
import { canonicalizeExclusive } from '../../src/xmldsig/canonicalize.js';
import { fixturePath } from '../helpers/fixtures.js';
import type { XmlElement } from '../../src/xml/light-dom.js';

interface Vector {
  readonly name: string;
  readonly xml: string;
  readonly path: readonly number[];
  readonly prefixes: readonly string[];
  readonly expected: string;
  readonly source: 'libxml2+jdk' | 'libxml2' | 'jdk' | 'spec';
  readonly libxml2?: string;
  readonly jdk?: string;
  readonly reason?: string;
}

const { vectors } = JSON.parse(readFileSync(fixturePath('standard-xmldsig/c14n-vectors.json'), 'utf8')) as {
  vectors: readonly Vector[];
};

function elementAt(xml: string, path: readonly number[]): XmlElement {
  let element: XmlElement = buildDom(xml).documentElement;
  for (const index of path) element = childElements(element)[index]!;
  return element;
}

describe('exclusive c14n against libxml2 and the JDK', () => {
  it('has vectors both implementations agree on, and vectors only one of them can read', () => {
    const count = (source: Vector['source']): number => vectors.filter((v) => v.source === source).length;
    assert.ok(count('libxml2+jdk') >= 200, `${count('libxml2+jdk')} agreed`);
    assert.ok(count('libxml2') >= 40, `${count('libxml2')} only libxml2 reads`);
    assert.ok(count('jdk') >= 40, `${count('jdk')} only the JDK reads`);
    for (const vector of vectors.filter((v) => v.source === 'spec'))
      assert.ok((vector.reason ?? '').length > 0, `${vector.name} says why the specification decides`);
  });

  for (const vector of vectors.filter((v) => !v.name.startsWith('fuzz '))) {
    it(`writes the standard bytes for ${vector.name}`, () => {
      assert.equal(
        canonicalizeExclusive(elementAt(vector.xml, vector.path), vector.prefixes, undefined, 1e9),
        vector.expected,
      );
    });
  }

  it('writes the standard bytes for every fuzzed document', () => {
    let compared = 0;
    for (const vector of vectors.filter((v) => v.name.startsWith('fuzz '))) {
      const actual = canonicalizeExclusive(
        elementAt(vector.xml, vector.path),
        vector.prefixes,
        undefined,
        1e9,
      );
      assert.equal(actual, vector.expected, `${vector.name}: ${vector.xml}`);
      compared += 1;
    }
    assert.ok(compared >= 300, `${compared} fuzzed documents compared`);
  });
});
