/**
 * The key's shapes declared once: the states and sources a key may have
 * (what the store checks, the admin API's answers and the OpenAPI document
 * list), and a key added by hand as the admin service takes it. The
 * store's own `NewKey` holds a certificate's bytes and dates, which JSON
 * cannot carry; it stays an interface (model.ts), checked by
 * validate-key-input.ts.
 */
import { Type, type Static } from '@sinclair/typebox';
import { closedObject, enumOf } from '../lib/schema-builders.js';
import type { KeySource, KeyState } from '../tokens/trust-snapshot.js';

/** Every state a key may be in. */
export const KEY_STATES = [
  'announced',
  'active',
  'retiring',
  'retired',
  'revoked',
  'expired',
] as const satisfies readonly KeyState[];

/** Where a key came from. */
export const KEY_SOURCES = ['metadata', 'manual'] as const satisfies readonly KeySource[];

/** The states a key added by hand may start in. */
export const ADDED_KEY_STATES = ['active', 'announced'] as const satisfies readonly KeyState[];

/** A key to add by hand: a pasted certificate or thumbprint (exactly one, checked by the service). */
export const AddKeyInputSchema = closedObject(
  {
    certificate: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 65_536,
        description:
          'A certificate: PEM (one), or bare base64 as in metadata, line breaks and spaces allowed.',
      }),
    ),
    thumbprint: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1024,
        description: 'A SHA-1 (40 hex digits) or SHA-256 (64) thumbprint, pasted from anywhere.',
      }),
    ),
    state: Type.Optional(enumOf(ADDED_KEY_STATES, { description: 'Default `active`.' })),
  },
  { minProperties: 1 },
);

/** A key to add by hand: exactly one of `certificate` or `thumbprint`. */
export type AddKeyInput = Static<typeof AddKeyInputSchema>;
