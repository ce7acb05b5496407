/**
 * The few TypeBox builders every schema of claimsgate is written with, so a
 * shape declared once gives its TypeScript type (`Static`), the JSON schema
 * Fastify validates and serializes with, and its OpenAPI entry.
 *
 * They write JSON Schema in the subset shared by draft-07 (Fastify's Ajv)
 * and 2020-12 (OpenAPI 3.1): `type` lists with `"null"` for nullable values,
 * `enum` for a fixed list of strings, never OpenAPI 3.0's `nullable`.
 */
import {
  Type,
  type Static,
  type TInteger,
  type TObject,
  type TProperties,
  type TSchema,
  type TString,
  type TUnsafe,
} from '@sinclair/typebox';

/**
 * A string from a fixed list, as `{ type: "string", enum }`: Ajv reports one
 * `enum` error for it, where a union of TypeBox literals would report one
 * error per literal.
 */
export function enumOf<const V extends readonly string[]>(
  values: V,
  options: { description?: string } = {},
): TUnsafe<V[number]> {
  return Type.Unsafe<V[number]>({ ...options, type: 'string', enum: [...values] });
}

/** A string or integer with its own limits, or null: one `type` list (`["string", "null"]`). */
export function orNull(schema: TString): TUnsafe<string | null>;
export function orNull(schema: TInteger): TUnsafe<number | null>;
export function orNull(schema: TString | TInteger): TUnsafe<string | number | null> {
  const { type, ...limits } = schema;
  return Type.Unsafe({ ...limits, type: [type, 'null'] });
}

/**
 * A JSON array whose TypeScript type is a read-only array: what the
 * service's read-only views are checked against, and what inputs are handed
 * on as (they are never changed in place).
 */
export function listOf<T extends TSchema>(
  items: T,
  options: { minItems?: number; maxItems?: number; description?: string } = {},
): TUnsafe<readonly Static<T>[]> {
  return Type.Unsafe<readonly Static<T>[]>(Type.Array(items, options));
}

/** An object that refuses properties it does not declare; required unless wrapped in `Type.Optional`. */
export function closedObject<P extends TProperties>(
  properties: P,
  options: { minProperties?: number; maxProperties?: number; description?: string } = {},
): TObject<P> {
  return Type.Object(properties, { additionalProperties: false, ...options });
}
