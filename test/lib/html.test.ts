import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeHtml, html, joinHtml, SafeHtml, trustedHtml } from '../../src/lib/html.js';

describe('html tagged template', () => {
  it('escapes every interpolated string, in text and in quoted attributes', () => {
    const name = `<script>alert("x")</script> & 'friends'`;
    assert.equal(
      html`<p title="${name}">${name}</p>`.toString(),
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;friends&#39;">' +
        '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;friends&#39;</p>',
    );
  });

  it('keeps SafeHtml as it is, so fragments nest without double escaping', () => {
    const item = html`<li>${'a & b'}</li>`;
    assert.equal(html`<ul>${item}</ul>`.toString(), '<ul><li>a &amp; b</li></ul>');
  });

  it('joins lists item by item, escaping strings and keeping fragments', () => {
    const items = ['<x>', html`<b>${'y'}</b>`, 3];
    assert.equal(html`<p>${items}</p>`.toString(), '<p>&lt;x&gt;<b>y</b>3</p>');
    assert.equal(joinHtml(['<a>', html`<br>`], '\n').toString(), '&lt;a&gt;\n<br>');
  });

  it('renders nothing for undefined, null and false, for optional parts', () => {
    const optional = false as boolean;
    assert.equal(html`<p>${undefined}${null}${optional && html`<i>no</i>`}</p>`.toString(), '<p></p>');
  });

  it('refuses a value it does not know how to write instead of printing [object Object]', () => {
    assert.throws(() => html`${{} as unknown as string}`, TypeError);
    assert.throws(() => html`${true as unknown as string}`, TypeError);
  });

  it('is the only maker of SafeHtml: a string cannot pass for it', () => {
    assert.throws(() => new SafeHtml('<b>', Symbol('SafeHtml') as never), TypeError);
    assert.ok(trustedHtml('<hr>') instanceof SafeHtml);
    assert.equal(html`${'<hr>'}`.toString(), '&lt;hr&gt;');
  });

  it('escapes the five characters that open markup or leave an attribute', () => {
    assert.equal(escapeHtml(`&<>"'`), '&amp;&lt;&gt;&quot;&#39;');
    assert.equal(escapeHtml('plain text'), 'plain text');
  });
});
