import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import { checkShape, describeShape } from '../../src/lib/check-shape.js';
import { closedObject, enumOf, listOf, orNull } from '../../src/lib/schema-builders.js';

const schema = closedObject(
  {
    name: Type.String({ minLength: 1, maxLength: 5 }),
    kind: Type.Optional(enumOf(['a', 'b'])),
    tags: Type.Optional(listOf(Type.String(), { maxItems: 2 })),
    note: Type.Optional(orNull(Type.String())),
    inner: Type.Optional(closedObject({ size: Type.Integer({ minimum: 1 }) })),
  },
  { minProperties: 1 },
);

describe('checkShape', () => {
  it('accepts what fits, counting an undefined property as absent', () => {
    assert.equal(checkShape(schema, { name: 'x', kind: 'a', tags: ['t'], note: null }, 'thing'), undefined);
    assert.equal(checkShape(schema, { name: 'x', kind: undefined }, 'thing'), undefined);
  });

  it('names the first field that disagrees, with what the schema expects', () => {
    assert.deepEqual(checkShape(schema, 'x', 'thing'), {
      field: 'thing',
      expected: 'an object with the fields name, kind, tags, note, inner',
      observed: 'x',
    });
    assert.equal(checkShape(schema, {}, 'thing')?.field, 'name');
    const patch = closedObject({ a: Type.Optional(Type.String()) }, { minProperties: 1 });
    assert.deepEqual(checkShape(patch, { a: undefined }, 'patch'), {
      field: 'patch',
      expected: 'at least 1 of the fields',
      observed: { a: undefined },
    });
    assert.equal(checkShape(schema, { kind: 'a' }, 'thing')?.field, 'name');
    assert.equal(checkShape(schema, { name: 'x', extra: 1 }, 'thing')?.field, 'extra');
    assert.equal(checkShape(schema, { name: 'toolong' }, 'thing')?.expected, 'a string of 1 to 5 characters');
    assert.deepEqual(checkShape(schema, { name: 'x', kind: 'c' }, 'thing'), {
      field: 'kind',
      expected: 'one of "a", "b"',
      observed: 'c',
    });
    assert.deepEqual(checkShape(schema, { name: 'x', tags: ['t', 5] }, 'thing'), {
      field: 'tags',
      expected: 'an array (at most 2) of a string',
      observed: 5,
    });
    assert.equal(checkShape(schema, { name: 'x', tags: ['a', 'b', 'c'] }, 'thing')?.field, 'tags');
    assert.equal(checkShape(schema, { name: 'x', note: 5 }, 'thing')?.expected, 'a string, or null');
    assert.equal(checkShape(schema, { name: 'x', inner: { size: 0 } }, 'thing')?.field, 'inner.size');
    assert.equal(checkShape(schema, { name: 'x', inner: { size: 1.5 } }, 'thing')?.field, 'inner.size');
  });

  it('describes a shape in words', () => {
    assert.equal(describeShape(Type.Boolean()), 'true or false');
    assert.equal(describeShape(Type.Integer({ minimum: 1, maximum: 9 })), 'a whole number ≥ 1 ≤ 9');
  });
});
