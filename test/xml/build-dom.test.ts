import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DOMParser } from '@xmldom/xmldom';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { buildDom, type BuildOptions } from '../../src/xml/build-dom.js';
import { repoRoot, fixturesDir } from '../helpers/fixtures.js';
import type { ComparableNode } from '../helpers/xmldom-copy.js';
import { meterWork } from '../helpers/work-meter.js';

/**
 * A structural description of a subtree, xmldom's or claimsgate's: what any
 * reader can observe.
 */
function describeTree(node: ComparableNode): unknown {
  switch (node.nodeType) {
    case 3:
      return { text: node.nodeValue };
    case 4:
      return { cdata: node.nodeValue };
    case 8:
      return { comment: node.nodeValue };
    case 7:
      return { pi: node.nodeName, data: node.nodeValue };
    default:
      break;
  }
  const attributes = Array.from(node.attributes ?? [], (a) => [
    a.namespaceURI ?? null,
    a.localName,
    a.prefix ?? null,
    a.value,
  ]);
  const children = [];
  for (let child = node.firstChild ?? null; child !== null; child = child.nextSibling)
    children.push(describeTree(child));
  return {
    ns: node.namespaceURI ?? null,
    local: node.localName,
    prefix: node.prefix ?? null,
    attributes: attributes.sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
    children,
  };
}

/** xmldom's reading of a text, with every warning and error fatal; undefined when it refuses. */
function xmldomRead(text: string): unknown {
  const fatal = (message: string): never => {
    throw new Error(message);
  };
  try {
    const document = new DOMParser({
      errorHandler: { warning: fatal, error: fatal, fatalError: fatal },
    }).parseFromString(text, 'application/xml');
    return document.documentElement === null ? undefined : describeTree(document.documentElement);
  } catch {
    return undefined;
  }
}

function ourRead(text: string): unknown {
  try {
    return describeTree(buildDom(text).documentElement);
  } catch (error) {
    assert.ok(
      isClaimsgateError(error),
      `a non-coded error for ${JSON.stringify(text.slice(0, 80))}: ${String(error)}`,
    );
    return undefined;
  }
}

function corpus(): Array<{ name: string; text: string }> {
  const files: Array<{ name: string; text: string }> = [];
  for (const folder of ['interop', 'metadata']) {
    for (const file of readdirSync(join(fixturesDir, folder)).filter((f) => f.endsWith('.xml'))) {
      files.push({
        name: `${folder}/${file}`,
        text: readFileSync(join(fixturesDir, folder, file), 'utf8').replace(/^\uFEFF/, ''),
      });
    }
  }
  const adversarial = join(repoRoot, 'test', 'fixtures', 'adversarial');
  for (const file of readdirSync(adversarial).filter((f) => f.endsWith('.xml'))) {
    files.push({ name: `adversarial/${file}`, text: readFileSync(join(adversarial, file), 'utf8') });
  }
  return files;
}

describe('buildDom', () => {
  const documents = corpus();

  it('reads every fixture and corpus document exactly as xmldom does', () => {
    let compared = 0;
    for (const { name, text } of documents) {
      const theirs = xmldomRead(text);
      const ours = ourRead(text);
      if (ours === undefined) continue;
      assert.deepEqual(ours, theirs, name);
      compared += 1;
    }
    assert.ok(compared > 80, `${compared} documents compared`);
  });

  it('never reads a mutated document differently from xmldom (fuzz, fixed seed)', () => {
    let seed = 20261129;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = [
      '<',
      '>',
      '/',
      '"',
      "'",
      '=',
      '&',
      ';',
      '#',
      'x',
      ' ',
      '\n',
      '\r',
      ':',
      '!',
      '-',
      '[',
      ']',
      '?',
      'a',
      '&amp;',
      '&#65;',
      '<!--',
      '-->',
      '<![CDATA[',
      ']]>',
      'xmlns:p="urn:p"',
      'p:',
    ];
    let accepted = 0;
    for (let i = 0; i < 6000; i += 1) {
      const base = documents[random(documents.length)]!.text;
      let text = base.length > 4000 ? base.slice(0, 4000) : base;
      const edits = 1 + random(2);
      for (let e = 0; e < edits; e += 1) {
        const at = random(text.length + 1);
        const cut = random(4);
        text = text.slice(0, at) + alphabet[random(alphabet.length)]! + text.slice(at + cut);
      }
      const ours = ourRead(text);
      if (ours === undefined) continue;
      accepted += 1;
      assert.deepEqual(ours, xmldomRead(text), `mutation ${i}: ${JSON.stringify(text.slice(0, 200))}`);
    }
    assert.ok(accepted > 100, `${accepted} mutated documents accepted and compared`);
  });

  it('normalises line endings and attribute whitespace as XML 1.0 requires', () => {
    const document = buildDom('<a b="x\ty\r\nz" c="&#9;&#10;" d="\u2028\u0085">1\r\n2\r3\u20284\u0085</a>');
    const root = document.documentElement;
    assert.equal(root.getAttribute('b'), 'x y z');
    assert.equal(root.getAttribute('c'), '\t\n');
    assert.equal(root.getAttribute('d'), '\u2028\u0085');
    assert.equal(root.textContent, '1\n2\n3\u20284\u0085');
  });

  it('keeps NEL and LINE SEPARATOR, which xmldom turns into LF by the rules of XML 1.1', () => {
    // The one place the two parsers read differently: XML 1.0 §2.11 and XML 1.1 §2.11.
    const text = '<a b="x\u2028y">1\u00852\r\u00853</a>';
    const ours = buildDom(text).documentElement;
    assert.equal(ours.textContent, '1\u00852\n\u00853');
    assert.equal(ours.getAttribute('b'), 'x\u2028y');
    assert.deepEqual(xmldomRead(text), {
      ns: null,
      local: 'a',
      prefix: null,
      attributes: [[null, 'b', null, 'x y']],
      children: [{ text: '1\n2\n3' }],
    });
  });

  it('decodes predefined entities and character references, and refuses anything else', () => {
    assert.equal(
      buildDom('<a>&lt;&gt;&amp;&quot;&apos;&#x1F600;&#65;</a>').documentElement.textContent,
      '<>&"\'\u{1F600}A',
    );
    for (const bad of [
      '<a>&nbsp;</a>',
      '<a>a & b</a>',
      '<a>&#0;</a>',
      '<a>&#xD800;</a>',
      '<a>&#X41;</a>',
      '<a b="&undefined;"/>',
    ]) {
      assert.throws(
        () => buildDom(bad),
        (error: unknown) => isClaimsgateError(error, 'CG_XML_MALFORMED'),
        bad,
      );
    }
  });

  it('refuses what is not well-formed', () => {
    const cases = [
      '<a>',
      '<a></b>',
      '<a b="1" b="2"/>',
      '<a xmlns:p="urn:p" xmlns:q="urn:p" p:x="1" q:x="2"/>',
      '<p:a/>',
      '<a p:b="1"/>',
      '<a><!-- a -- b --></a>',
      '<a>]]></a>',
      '<a b=1/>',
      '<a b="<"/>',
      '<a\u0001/>',
      '<a xmlns:p=""/>',
      '<?xml version="1.0"?><?xml version="1.0"?><a/>',
    ];
    for (const text of cases) {
      assert.throws(
        () => buildDom(text),
        (error: unknown) => isClaimsgateError(error),
        text,
      );
    }
  });

  it('stops at the depth limit while parsing', () => {
    assert.throws(
      () => buildDom(`${'<a>'.repeat(10)}${'</a>'.repeat(10)}`, { maxDepth: 9 }),
      (error: unknown) => isClaimsgateError(error, 'CG_XML_TOO_DEEP'),
    );
  });
});

describe('buildDom costs', () => {
  /** Growth of the counted work when a shape doubles, the texts built before metering. */
  function growth(shape: (size: number) => string, size: number): number {
    const small = shape(size);
    const large = shape(size * 2);
    const smallWork = meterWork(() => buildDom(small)).work;
    const largeWork = meterWork(() => buildDom(large)).work;
    return largeWork / Math.max(smallWork, 1);
  }

  const declarations = (count: number, prefix = 'p'): string =>
    Array.from({ length: count }, (_, i) => ` xmlns:${prefix}${i}="urn:${prefix}:${i}"`).join('');

  it('does work linear in the size of a namespace-heavy document (no copy of the scope per element)', () => {
    // The shape of issue 11: many declarations on the root, then many children each declaring one.
    const shape = (size: number): string => `<r${declarations(size)}>${'<b xmlns="u"/>'.repeat(size)}</r>`;
    assert.ok(growth(shape, 1000) < 2.2);
  });

  it('finds duplicate attributes without rescanning, by qualified and by expanded name', () => {
    const unprefixed = (size: number): string =>
      `<r${Array.from({ length: size }, (_, i) => ` a${i}="v"`).join('')}/>`;
    const prefixed = (size: number): string =>
      `<r xmlns:p="urn:p"${Array.from({ length: size }, (_, i) => ` p:a${i}="v"`).join('')}/>`;
    assert.ok(growth(unprefixed, 2000) < 2.2);
    assert.ok(growth(prefixed, 2000) < 2.2);
    assert.throws(
      () => buildDom(`${prefixed(3000).slice(0, -2)} p:a2999="again"/>`),
      (error: unknown) => isClaimsgateError(error, 'CG_XML_MALFORMED'),
    );
  });

  it('does work linear in the number of elements, text nodes and references', () => {
    assert.ok(growth((size) => `<r>${'<b>x</b>'.repeat(size)}</r>`, 5000) < 2.2);
    assert.ok(growth((size) => `<r>${'&amp;&#65;'.repeat(size)}</r>`, 5000) < 2.2);
    assert.ok(growth((size) => `<r>${'<!--c-->'.repeat(size)}</r>`, 5000) < 2.2);
  });
});

describe('buildDom limits', () => {
  const attributes = (count: number): string =>
    Array.from({ length: count }, (_, i) => ` a${i}="v"`).join('');
  const declarations = (count: number): string =>
    Array.from({ length: count }, (_, i) => ` xmlns:p${i}="urn:${i}"`).join('');

  function refuses(text: string, options: BuildOptions, code: string): void {
    assert.throws(
      () => buildDom(text, options),
      (error: unknown) => isClaimsgateError(error) && error.code === code,
      code,
    );
  }

  it('refuses an element with more attributes than the limit, declarations not counted', () => {
    const options = { maxAttributesPerElement: 8 };
    assert.equal(
      buildDom(`<r${attributes(8)}${declarations(4)}/>`, options).documentElement.attributes.length,
      12,
    );
    refuses(`<r${attributes(9)}/>`, options, 'CG_XML_TOO_MANY_ATTRIBUTES');
    refuses(`<r><a/><b${attributes(9)}/></r>`, options, 'CG_XML_TOO_MANY_ATTRIBUTES');
  });

  it('refuses an element with more namespace declarations than the per-element limit', () => {
    const options = { maxNamespaceDeclarationsPerElement: 4 };
    buildDom(`<r${declarations(3)} xmlns="urn:d"${attributes(20)}/>`, options);
    refuses(`<r${declarations(4)} xmlns="urn:d"/>`, options, 'CG_XML_TOO_MANY_NAMESPACES');
  });

  it('refuses a document with more namespace declarations than the per-document limit', () => {
    const options = { maxNamespaceDeclarations: 10 };
    buildDom(`<r${declarations(5)}>${'<b xmlns="u"/>'.repeat(5)}</r>`, options);
    assert.throws(
      () => buildDom(`<r${declarations(5)}>${'<b xmlns="u"/>'.repeat(6)}</r>`, options),
      (error: unknown) =>
        isClaimsgateError(error, 'CG_XML_TOO_MANY_NAMESPACES') && error.detail['scope'] === 'document',
    );
  });

  it('refuses a document with more elements than the limit', () => {
    const options = { maxElements: 10 };
    buildDom(`<r>${'<b/>'.repeat(9)}</r>`, options);
    refuses(`<r>${'<b/>'.repeat(10)}</r>`, options, 'CG_XML_TOO_MANY_ELEMENTS');
  });

  it('refuses a document with more nodes than the limit, counting attributes, text and comments', () => {
    const options = { maxNodes: 10 };
    // The root, three attributes, and six text and comment nodes.
    buildDom(`<r a="1" b="2" xmlns="u">x<!--c-->x<!--c-->x<!--c--></r>`, options);
    refuses(`<r a="1" b="2" xmlns="u">x<!--c-->x<!--c-->x<!--c-->x</r>`, options, 'CG_XML_TOO_MANY_NODES');
    refuses(
      `<r a="1" b="2" c="3" d="4" e="5" f="6" g="7" h="8" i="9" j="10"/>`,
      options,
      'CG_XML_TOO_MANY_NODES',
    );
  });

  it('stops reading an element at its attribute limit, whatever follows', () => {
    // 32,000 attributes on one element (issue 11), the last one broken: refused
    // at the limit before the broken one is reached.
    const text = `<r${attributes(32_000)} broken/>`;
    refuses(text, { maxAttributesPerElement: 64 }, 'CG_XML_TOO_MANY_ATTRIBUTES');
    refuses(text, {}, 'CG_XML_MALFORMED');
  });
});
