import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ErrorCode } from '../../src/lib/error-codes.js';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { XmlTokenizer, type XmlToken } from '../../src/xml/tokenize-xml.js';

/** Every token of `text`, each text token's value decoded as the tree builder would inside an element. */
function tokens(text: string, canonical = false): XmlToken[] {
  const tokenizer = new XmlTokenizer(text, { canonical });
  const result: XmlToken[] = [];
  for (let token = tokenizer.next(); token !== undefined; token = tokenizer.next()) {
    if (token.kind === 'text') tokenizer.decodeText(token);
    result.push(token);
  }
  return result;
}

function refuses(text: string, code = 'CG_XML_MALFORMED', canonical = false): void {
  assert.throws(
    () => tokens(text, canonical),
    (error: unknown) => isClaimsgateError(error) && error.code === code,
    text,
  );
}

describe('XmlTokenizer', () => {
  it('reads tags, attributes, text, CDATA, comments and processing instructions in order', () => {
    const read = tokens(
      '<?xml version="1.0"?><p:a xmlns:p="urn:p" b = \'1\'>x<![CDATA[<y>]]><!-- c --><?t  d?><e/></p:a>',
    );
    assert.deepEqual(
      read.map((token) => token.kind),
      ['start', 'text', 'cdata', 'comment', 'pi', 'start', 'end'],
    );
    const start = read[0]!;
    assert.ok(start.kind === 'start');
    assert.equal(start.name, 'p:a');
    assert.deepEqual(
      start.attributes.map(({ name, value }) => [name, value]),
      [
        ['xmlns:p', 'urn:p'],
        ['b', '1'],
      ],
    );
    assert.equal(start.declarations, 1);
    assert.equal(start.selfClosing, false);
    assert.deepEqual(read[2], { kind: 'cdata', value: '<y>', offset: 51, end: 66 });
    assert.ok(read[4]!.kind === 'pi' && read[4]!.target === 't' && read[4]!.data === 'd');
    assert.ok(read[5]!.kind === 'start' && read[5]!.selfClosing);
  });

  it('gives each token its kind, parts, offset and end, for a small document', () => {
    assert.deepEqual(tokens('<?xml version="1.0"?>\n<a x="1"><!--c-->t&amp;<b/><?p d?></a>'), [
      { kind: 'text', raw: '\n', offset: 21, end: 22 },
      {
        kind: 'start',
        name: 'a',
        attributes: [{ name: 'x', value: '1', declaration: false, colon: -1, offset: 25 }],
        declarations: 0,
        selfClosing: false,
        offset: 22,
        end: 31,
      },
      { kind: 'comment', value: 'c', offset: 31, end: 39 },
      { kind: 'text', raw: 't&amp;', offset: 39, end: 45 },
      {
        kind: 'start',
        name: 'b',
        attributes: [],
        declarations: 0,
        selfClosing: true,
        offset: 45,
        end: 49,
      },
      { kind: 'pi', target: 'p', data: 'd', offset: 49, end: 56 },
      { kind: 'end', name: 'a', offset: 56, end: 60 },
    ]);
  });

  it('refuses each lexical error with its code, at the offset of the fault', () => {
    const cases: Array<[text: string, offset: number, code?: ErrorCode]> = [
      ['<a>\u0001</a>', 3], // a character XML does not allow
      ['<?xml version="1.0"', 0], // an XML declaration without its end
      ['<a/><?xml version="1.0"?>', 9], // an XML declaration after the start
      ['<a/><?XmL x?>', 9],
      ['<a/><?p d', 7], // a processing instruction without its end
      ['<a/><? p?>', 6], // … or without a target
      ['<!-- c', 0], // a comment without its end
      ['<!-- a -- b -->', 0], // "--" in a comment
      ['<!-- a --->', 0],
      ['<a><![CDATA[x</a>', 3], // a CDATA section without its end
      ['<!DOCTYPE a>', 0, 'CG_XML_DTD_FORBIDDEN'],
      ['<a><!ELEMENT a ANY></a>', 3, 'CG_XML_DTD_FORBIDDEN'],
      ['<a></a x>', 7], // an end tag with more than a name
      ['<a></ a>', 5],
      ['<a', 2], // a start tag without its end
      ['< a/>', 1], // no name
      ['<a b="1"c="2"/>', 8], // no whitespace between attributes
      ['<a b/>', 4], // an attribute without "="
      ['<a b=1/>', 5], // an unquoted value
      ['<a b="1/>', 5], // a value without its closing quote
      ['<a b="x<y"/>', 6], // "<" in a value
      ['<a b="x&y;"/>', 7], // an undefined entity
      ['<a b="x&amp"/>', 7], // a reference without ";"
      ['<a>x&y</a>', 4], // a bare "&" in text
      ['<a>x&#0;</a>', 4], // a reference to a character XML does not allow
      ['<a>&#xD800;</a>', 3],
      ['<a>&#x110000;</a>', 3],
      ['<a>&;</a>', 3],
      ['<a>x]]>y</a>', 3], // "]]>" in text
      ['<a b="1" b="2"/>', 11], // a duplicate attribute (at its value)
    ];
    for (const [text, offset, code = 'CG_XML_MALFORMED'] of cases) {
      assert.throws(
        () => tokens(text),
        (error: unknown) =>
          isClaimsgateError(error, code) &&
          (code !== 'CG_XML_MALFORMED' || error.detail['observed'] === `offset ${offset}`),
        `${text} at ${offset}`,
      );
    }
  });

  it('decodes text only on request, so text outside the root is judged as such', () => {
    const tokenizer = new XmlTokenizer('<a/>&bogus;');
    tokenizer.next();
    const text = tokenizer.next();
    assert.ok(text?.kind === 'text');
    assert.equal(XmlTokenizer.isWhitespace(text), false);
    assert.throws(
      () => tokenizer.decodeText(text),
      (error: unknown) => isClaimsgateError(error, 'CG_XML_MALFORMED'),
    );
  });

  it('reads non-ASCII names by the XML Name rules and ASCII names by the same rules', () => {
    const [start] = tokens('<é:a xmlns:é="u" a·b="1" _x-y.z="2"></é:a>');
    assert.ok(start?.kind === 'start');
    assert.equal(start.name, 'é:a');
    assert.deepEqual(
      start.attributes.map((attribute) => attribute.name),
      ['xmlns:é', 'a·b', '_x-y.z'],
    );
    // A colon is part of a name once, and only before a name start character.
    refuses('<a:b:c/>');
    refuses('<a:1/>');
    refuses('<:a/>');
    refuses('<1a/>');
    refuses('<a b:="1"/>');
  });

  it('turns CR LF and a lone CR into LF, and no other line end (XML 1.0 §2.11)', () => {
    // XML 1.1 would also turn NEL (U+0085), CR NEL and LINE SEPARATOR (U+2028) into LF.
    const [start, text] = tokens('<a b="x\u0085y\u2028z">1\r\n2\r3\u00854\u20285\r\u00856</a>');
    assert.ok(start?.kind === 'start' && text?.kind === 'text');
    assert.equal(start.attributes[0]!.value, 'x\u0085y\u2028z');
    assert.equal(text.raw, '1\n2\n3\u00854\u20285\n\u00856');
  });

  it('turns literal whitespace in attribute values into spaces, and leaves references alone (XML 1.0 §3.3.3)', () => {
    const [start] = tokens(
      '<a b="1\t2\n3\r\n4\r5 6" c="1&#9;2&#10;3&#13;&#10;4&#13;5&#32;6" d="\u2028&#x2028;\u0085" e=\'"&lt;&gt;&amp;&apos;\'/>',
    );
    assert.ok(start?.kind === 'start');
    assert.deepEqual(
      start.attributes.map(({ value }) => value),
      ['1 2 3 4 5 6', '1\t2\n3\r\n4\r5 6', '\u2028\u2028\u0085', '"<>&\''],
    );
  });

  it('refuses a surrogate that is not half of a pair, and reads one that is', () => {
    for (const text of ['<a>\uD800</a>', '<a>\uDC00x</a>', '<a b="\uDBFF"/>', '<a>x\uDFFF\uD800</a>'])
      refuses(text);
    const [, text] = tokens('<a>\u{1F600}\uD83D\uDE00</a>');
    assert.ok(text?.kind === 'text');
    assert.equal(text.raw, '\u{1F600}\u{1F600}');
  });

  it('reads names with characters above the BMP (XML 1.0 Fifth Edition §2.3)', () => {
    const [start] = tokens('<\u{10400}:a xmlns:\u{10400}="u" b\u{10401}="1" \u{EFFFF}="2"></\u{10400}:a>');
    assert.ok(start?.kind === 'start');
    assert.equal(start.name, '\u{10400}:a');
    assert.deepEqual(
      start.attributes.map((attribute) => attribute.name),
      ['xmlns:\u{10400}', 'b\u{10401}', '\u{EFFFF}'],
    );
    // U+F0000 and above are not name characters.
    refuses('<a \u{F0000}="1"/>');
  });

  it('refuses a duplicate attribute however many attributes come between', () => {
    const many = Array.from({ length: 500 }, (_, i) => ` a${i}="v"`).join('');
    refuses(`<r a250="x"${many}/>`);
    // The same name on two different elements is no duplicate.
    assert.equal(tokens(`<r a="1"><s a="1"/></r>`).length, 3);
  });

  it('refuses markup declarations as a DTD', () => {
    refuses('<a><!ENTITY x "y"></a>', 'CG_XML_DTD_FORBIDDEN');
  });

  it('accepts in canonical mode only what exclusive c14n writes', () => {
    assert.equal(tokens('<a b="1" c="&quot;&#x9;">&lt;&#xD;</a>', true).length, 3);
    for (const text of [
      '<a/>',
      "<a b='1'></a>",
      '<a  b="1"></a>',
      '<a b="1" ></a>',
      '<a><!--c--></a>',
      '<a><![CDATA[x]]></a>',
      '<a><?p d?></a>',
      '<a>&#65;</a>',
      '<a>></a>',
      '<a b="&gt;"></a>',
      '<a></a >',
    ]) {
      refuses(text, 'CG_XML_MALFORMED', true);
    }
  });

  it('stops at the attribute and declaration limits of one element', () => {
    const options = { maxAttributesPerElement: 2, maxNamespaceDeclarationsPerElement: 1 };
    const read = (text: string): void => {
      const tokenizer = new XmlTokenizer(text, options);
      while (tokenizer.next() !== undefined);
    };
    read('<a x="1" y="2" xmlns="u"/>');
    assert.throws(
      () => read('<a x="1" y="2" z="3"/>'),
      (error: unknown) => isClaimsgateError(error, 'CG_XML_TOO_MANY_ATTRIBUTES'),
    );
    assert.throws(
      () => read('<a xmlns="u" xmlns:p="v"/>'),
      (error: unknown) =>
        isClaimsgateError(error, 'CG_XML_TOO_MANY_NAMESPACES') && error.detail['scope'] === 'element',
    );
  });
});
