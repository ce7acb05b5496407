import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { buildDom } from '../../src/xml/build-dom.js';
import { NS, childElements, descendantElements } from '../../src/xml/dom.js';
import { canonicalizeExclusive } from '../../src/xmldsig/canonicalize.js';
import { fixturesDir, repoRoot } from '../helpers/fixtures.js';
import { referenceCanonicalize } from '../helpers/reference-c14n.js';
import { meterWork } from '../helpers/work-meter.js';
import { xmldomCopy } from '../helpers/xmldom-copy.js';
import type { XmlElement } from '../../src/xml/light-dom.js';

const UNLIMITED = Number.MAX_SAFE_INTEGER;

function documents(): Array<{ name: string; text: string }> {
  const files: Array<{ name: string; text: string }> = [];
  for (const folder of ['interop', 'metadata', 'standard-xmldsig/tokens']) {
    for (const file of readdirSync(join(fixturesDir, folder)).filter((f) => f.endsWith('.xml'))) {
      files.push({
        name: `${folder}/${file}`,
        text: readFileSync(join(fixturesDir, folder, file), 'utf8').replace(/^\uFEFF/, ''),
      });
    }
  }
  const corpus = join(repoRoot, 'test', 'fixtures', 'adversarial');
  for (const file of readdirSync(corpus).filter((f) => f.endsWith('.xml'))) {
    files.push({ name: `adversarial/${file}`, text: readFileSync(join(corpus, file), 'utf8') });
  }
  return files;
}

/** Every element of the tree under `root`, root included. */
function allElements(root: XmlElement): XmlElement[] {
  const result = [root];
  for (let i = 0; i < result.length; i += 1) result.push(...childElements(result[i]!));
  return result;
}

/** The prefixes declared anywhere in `root`'s document, and the local names of its prefixed attributes. */
function prefixesOf(root: XmlElement): string[] {
  const prefixes = new Set<string>();
  for (const element of allElements(root)) {
    for (const attribute of element.attributes) {
      if (attribute.prefix) prefixes.add(attribute.localName);
    }
  }
  return [...prefixes];
}

/**
 * Compares the two canonicalisers on `element` with several PrefixLists,
 * leaving out a direct ds:Signature. The reference is xml-crypto's
 * canonicaliser with its deviations from the specification corrected
 * (test/helpers/reference-c14n.ts, X1–X8), run on `copyOf`'s xmldom copy of
 * the same tree (test/helpers/xmldom-copy.ts); no PrefixList here holds
 * `#default` and no element is prefixed `xml`, which it does not correct (X9, X10).
 */
function compare(
  element: XmlElement,
  copyOf: (element: XmlElement) => Element,
  prefixLists: ReadonlyArray<readonly string[]>,
  label: string,
): number {
  const excluded = childElements(element, NS.ds, 'Signature')[0];
  let compared = 0;
  for (const prefixes of prefixLists) {
    for (const leftOut of excluded === undefined ? [undefined] : [undefined, excluded]) {
      const expected = referenceCanonicalize(
        copyOf(element),
        prefixes,
        leftOut === undefined ? undefined : copyOf(leftOut),
      );
      const actual = canonicalizeExclusive(element, prefixes, leftOut, UNLIMITED);
      assert.equal(actual, expected, `${label} <${element.nodeName}> PrefixList="${prefixes.join(' ')}"`);
      compared += 1;
    }
  }
  return compared;
}

describe('canonicalizeExclusive', () => {
  it("writes the bytes of xml-crypto's canonicaliser, corrected to the specification, for every element of every fixture and corpus document", () => {
    let compared = 0;
    for (const { name, text } of documents()) {
      let root: XmlElement;
      try {
        root = buildDom(text).documentElement;
      } catch {
        continue;
      }
      const declared = prefixesOf(root);
      const lists = [[], ['xs'], declared, declared.slice(0, 2), ['xsi', 'type']];
      const copyOf = xmldomCopy(root);
      for (const element of allElements(root)) compared += compare(element, copyOf, lists, name);
    }
    assert.ok(compared > 10_000, `${compared} canonical forms compared`);
  });

  it("writes the corrected reference's bytes for namespace redeclarations, undeclarations, escapes and processing instructions", () => {
    const cases = [
      '<a xmlns="urn:a"><b xmlns=""><c/><d xmlns="urn:d"><e xmlns=""/></d></b></a>',
      '<p:a xmlns:p="urn:1"><p:b xmlns:p="urn:2"><p:c xmlns:p="urn:1"><p:d/></p:c></p:b><p:e/></p:a>',
      '<a xmlns:p="urn:p" xmlns:q="urn:q"><b p:x="1" q:y="2" z="3"><c q:y="4"/></b><b p:x="5"/></a>',
      '<a xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xs="urn:xs"><v xsi:type="xs:string">x</v><v xsi:type="xs:int">1</v></a>',
      '<a xmlnsX="not a declaration" xml:lang="en" b="&lt;&amp;&quot;&#9;&#10;&#13;" c=\'"\'>&lt;&gt;&amp;&#13;]</a>',
      '<z:a xmlns:z="urn:z" xmlns:y="urn:y" xmlns:x="urn:x"><x:b y:c="1" z:d="2" a="3"/></z:a>',
      '<a xmlns:B="urn:B" xmlns:a="urn:a" xmlns:_="urn:_"><B:x a:y="1" _:z="2"/></a>',
      '<a><![CDATA[<&>]]>text<!-- c --><b/></a>',
      '<a xmlns="urn:a" xmlns:p="urn:a"><p:b/><b/><p:c xmlns="urn:c"><d/></p:c></a>',
      '<r xmlns:a="http://x/" xmlns:b="http://x/a"><e a:b="1" b:z="2"/></r>',
      '<r xmlns:X="urn:x" xmlns:saml="urn:s" xmlns:_="urn:_" xmlns:é="urn:e"><saml:e X:k="1" _:a="2" é:b="3"/></r>',
      '<r xmlns:p="urn:a?b=1&amp;c=2"><p:e q="&#9;" xmlnsX="1" p:type="t"/></r>',
      '<r>a<?pi data?>b<?empty?><c>\u2028\u0085&#13;</c></r>',
    ];
    let compared = 0;
    for (const text of cases) {
      const root = buildDom(text).documentElement;
      const lists = [[], prefixesOf(root), ['p', 'q', 'xsi', 'xs', 'y', 'type', 'c']];
      const copyOf = xmldomCopy(root);
      for (const element of allElements(root)) compared += compare(element, copyOf, lists, text);
    }
    assert.ok(compared > 50, `${compared} canonical forms compared`);
  });

  it("writes the corrected reference's bytes for fuzzed namespace-heavy documents (fixed seed)", () => {
    let seed = 20261207;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const prefixes = ['a', 'b', 'c', 'xs', 'xsi', 'B', '_p', 'é'];
    const uris = ['urn:1', 'http://x/', 'http://x/a', 'urn:a&amp;b', ''];
    let compared = 0;
    for (let round = 0; round < 300; round += 1) {
      const open: string[] = [];
      const build = (depth: number): string => {
        const prefix = random(3) === 0 ? '' : `${prefixes[random(prefixes.length)]!}:`;
        const name = `${prefix}e${depth}`;
        let attributes = '';
        const declared = new Set<string>();
        for (let i = random(4); i > 0; i -= 1) {
          const p = prefixes[random(prefixes.length)]!;
          if (declared.has(p)) continue;
          declared.add(p);
          attributes += ` xmlns:${p}="${uris[random(uris.length - 1)]!}"`;
        }
        if (random(4) === 0) attributes += ` xmlns="${uris[random(uris.length)]!}"`;
        if (random(2) === 0) attributes += ` ${prefixes[random(prefixes.length)]!}:t="v${random(9)}"`;
        if (random(2) === 0) attributes += ` plain="&amp;${random(9)}"`;
        open.push(name);
        const children = depth < 4 ? random(4) : 0;
        let content = '';
        for (let i = 0; i < children; i += 1) content += random(3) === 0 ? `t${i}&gt;` : build(depth + 1);
        open.pop();
        return `<${name}${attributes}>${content}</${name}>`;
      };
      // Every prefix is declared on a wrapper so that any use resolves.
      const text = `<w${prefixes.map((p, i) => ` xmlns:${p}="urn:w${i}"`).join('')}>${build(0)}</w>`;
      let root: XmlElement;
      try {
        root = buildDom(text).documentElement;
      } catch {
        continue;
      }
      const lists = [[], [prefixes[random(prefixes.length)]!], prefixes];
      const copyOf = xmldomCopy(root);
      for (const element of allElements(root)) compared += compare(element, copyOf, lists, text);
    }
    assert.ok(compared > 1000, `${compared} canonical forms compared`);
  });

  it('does work linear in the element however many namespaces are in scope', () => {
    // Nested elements each using 32 prefixes, then empty elements under them:
    // xml-crypto copies every binding in scope for each of those.
    const shape = (leaves: number): XmlElement => {
      let open = '';
      let close = '';
      for (let level = 0; level < 32; level += 1) {
        const declarations = Array.from(
          { length: 32 },
          (_, i) => ` xmlns:p${level}x${i}="urn:${level}:${i}"`,
        );
        const uses = Array.from({ length: 32 }, (_, i) => ` p${level}x${i}:a=""`);
        open += `<e${declarations.join('')}${uses.join('')}>`;
        close = `</e>${close}`;
      }
      return buildDom(`${open}${'<b/>'.repeat(leaves)}${close}`).documentElement;
    };
    const small = shape(2000);
    const large = shape(4000);
    const work = (element: XmlElement): number =>
      meterWork(() => canonicalizeExclusive(element, ['p0x0'], undefined, UNLIMITED)).work;
    const growth = work(large) / work(small);
    assert.ok(growth < 2.2, `work grew ${growth.toFixed(2)}× when the leaves doubled`);
    const reference = (element: XmlElement): number => {
      const copy = xmldomCopy(element)(element);
      return meterWork(() => referenceCanonicalize(copy, ['p0x0'], undefined)).work;
    };
    assert.ok(
      work(large) * 10 < reference(large),
      'the reference does the quadratic work this test is about',
    );
  });

  it('refuses a canonical form past its budget while writing it', () => {
    // One declaration of a 100,000-character URI, used by 2,000 siblings: 200 MB of canonical XML.
    const uri = `urn:${'u'.repeat(100_000)}`;
    const root = buildDom(`<a><v xmlns:p="${uri}">${'<p:x/>'.repeat(2000)}</v></a>`).documentElement;
    const { work } = meterWork(() =>
      assert.throws(
        () => canonicalizeExclusive(root, [], undefined, 1_000_000),
        (error: unknown) => isClaimsgateError(error, 'CG_SIG_CANONICAL_TOO_LARGE'),
      ),
    );
    assert.ok(work < 1000, `stopped after ${work} units of work`);
    assert.equal(
      canonicalizeExclusive(descendantElements(root, uri, 'x')[0]!, [], undefined, 200_000).length,
      100_026,
    );
  });
});
