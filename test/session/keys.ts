// Fixed sealing secrets for the session tests: derived from a label, so every
// run seals with the same keys and a failure can be reproduced.
import { createHash } from 'node:crypto';
import { createSealingKeyRing, type SealingKeyRing } from '../../src/session/sealing-keys.js';

/** A 64-digit hexadecimal secret derived from `label`. */
export function testSecret(label: string): string {
  return createHash('sha256').update(`claimsgate test sealing secret ${label}`).digest('hex');
}

/** A ring of the named keys, the first sealing; each key's secret is `testSecret(id)`. */
export function testRing(...ids: string[]): SealingKeyRing {
  return createSealingKeyRing(ids.map((id) => ({ id, secret: testSecret(id) })));
}

/** A fixed instant: 2026-03-01T09:00:00Z. */
export const T0 = new Date('2026-03-01T09:00:00.000Z');

/** `T0` plus `ms` milliseconds. */
export function at(ms: number): Date {
  return new Date(T0.getTime() + ms);
}
