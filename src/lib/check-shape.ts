/**
 * Checks a value against the JSON schema of a shape declared with the
 * builders of schema-builders.ts (TypeBox), in the subset they write:
 * `type` (one or a list, `"null"` included), `enum`, string lengths,
 * integer bounds, array items and sizes, object properties, `required`,
 * `additionalProperties: false` and `minProperties`. It answers the first
 * disagreement, naming the field (dotted through objects; an array's item
 * is reported at the array) and what the schema expects, so that a caller
 * can turn it into its own coded error. A property whose value is
 * `undefined` counts as absent, as it does in JSON.
 */
import type { TSchema } from '@sinclair/typebox';

/** The first way a value disagrees with a schema. */
export interface ShapeMismatch {
  /** The field, dotted from the root (`signaturePolicy.mode`); the root's own name for the value itself. */
  readonly field: string;
  /** What the schema expects there, in words. */
  readonly expected: string;
  /** The value found (for an array, the offending item). */
  readonly observed: unknown;
}

interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly enum?: readonly unknown[];
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly items?: JsonSchema;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
  readonly minProperties?: number;
}

function typesOf(schema: JsonSchema): readonly string[] {
  return schema.type === undefined ? [] : typeof schema.type === 'string' ? [schema.type] : schema.type;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return false;
  }
}

/** What a schema expects, in words: `a string of 1 to 200 characters`, `one of wsfed, saml2, oidc`, … */
export function describeShape(schema: TSchema): string {
  return describe(schema as JsonSchema);
}

function describe(schema: JsonSchema): string {
  const types = typesOf(schema);
  const orNull = types.includes('null') ? ', or null' : '';
  if (schema.enum !== undefined)
    return `one of ${schema.enum
      .filter((value) => value !== null)
      .map((value) => JSON.stringify(value))
      .join(', ')}${orNull}`;
  const type = types.find((candidate) => candidate !== 'null');
  switch (type) {
    case 'string': {
      const min = schema.minLength ?? 0;
      const max = schema.maxLength;
      const length =
        max === undefined
          ? min > 0
            ? ` of at least ${min} characters`
            : ''
          : min > 0
            ? ` of ${min} to ${max} characters`
            : ` of at most ${max} characters`;
      return `a string${length}${orNull}`;
    }
    case 'boolean':
      return `true or false${orNull}`;
    case 'integer':
    case 'number': {
      const whole = type === 'integer' ? 'a whole number' : 'a number';
      const bounds = [
        schema.minimum === undefined ? '' : ` ≥ ${schema.minimum}`,
        schema.maximum === undefined ? '' : ` ≤ ${schema.maximum}`,
      ].join('');
      return `${whole}${bounds}${orNull}`;
    }
    case 'array': {
      const sizes = [
        schema.minItems === undefined ? '' : `at least ${schema.minItems}`,
        schema.maxItems === undefined ? '' : `at most ${schema.maxItems}`,
      ].filter((part) => part !== '');
      const items = schema.items === undefined ? 'values' : describe(schema.items);
      return `an array (${sizes.length === 0 ? 'any size' : sizes.join(', ')}) of ${items}${orNull}`;
    }
    case 'object': {
      const names = Object.keys(schema.properties ?? {});
      return `an object with the fields ${names.join(', ')}${orNull}`;
    }
    default:
      return 'a value';
  }
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function check(schema: JsonSchema, value: unknown, field: string): ShapeMismatch | undefined {
  const mismatch = { field, expected: describe(schema), observed: value };
  const types = typesOf(schema);
  if (types.length > 0 && !types.some((type) => hasType(value, type))) return mismatch;
  if (schema.enum !== undefined && !schema.enum.includes(value)) return mismatch;
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) return mismatch;
    if (schema.maxLength !== undefined && value.length > schema.maxLength) return mismatch;
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) return mismatch;
    if (schema.maximum !== undefined && value > schema.maximum) return mismatch;
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) return mismatch;
    if (schema.maxItems !== undefined && value.length > schema.maxItems) return mismatch;
    const items = schema.items;
    if (items !== undefined)
      for (const item of value) {
        const inner = check(items, item, field);
        // An item is reported at its array, showing the item.
        if (inner !== undefined) return { ...mismatch, observed: inner.observed };
      }
  }
  if (hasType(value, 'object') && schema.properties !== undefined) {
    const object = value as Readonly<Record<string, unknown>>;
    const present = Object.keys(object).filter((name) => object[name] !== undefined);
    if (schema.additionalProperties === false)
      for (const name of present)
        if (!Object.hasOwn(schema.properties, name))
          return {
            field: join(field, name),
            expected: `no such field (the fields are ${Object.keys(schema.properties).join(', ')})`,
            observed: object[name],
          };
    for (const name of schema.required ?? [])
      if (object[name] === undefined) {
        const required = schema.properties[name];
        return {
          field: join(field, name),
          expected: required === undefined ? 'a value' : describe(required),
          observed: undefined,
        };
      }
    if (schema.minProperties !== undefined && present.length < schema.minProperties)
      return { ...mismatch, expected: `at least ${schema.minProperties} of the fields` };
    for (const name of present) {
      const property = schema.properties[name];
      if (property === undefined) continue;
      const inner = check(property, object[name], join(field, name));
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}

/**
 * The first way `value` disagrees with `schema`, or undefined when it fits.
 * Fields are named from the root: `root` names the value itself (a
 * non-object, or too few fields), its properties are named bare (`name`,
 * `signaturePolicy.mode`).
 */
export function checkShape(schema: TSchema, value: unknown, root: string): ShapeMismatch | undefined {
  const mismatch = check(schema as JsonSchema, value, '');
  if (mismatch === undefined) return undefined;
  return mismatch.field === '' ? { ...mismatch, field: root } : mismatch;
}
