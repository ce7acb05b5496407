import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ClaimsgateError } from '../../src/lib/errors.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Throws from a frame whose receiver holds `payload`, as the XML validators' frames hold a parsed token. */
class Holder {
  constructor(readonly payload: object) {}
  refuse(): never {
    throw new ClaimsgateError('CG_TRUST_KEY_UNKNOWN', 'No trusted key.', { detail: { issuer: 'x' } });
  }
}

describe('ClaimsgateError', () => {
  it('keeps nothing of the frames it was thrown from alive: a held refusal does not hold the parsed token', async () => {
    const refuse = (): { error: unknown; ref: WeakRef<object> } => {
      const payload = { tree: new Array(10_000).fill('node') };
      try {
        new Holder(payload).refuse();
      } catch (error) {
        return { error, ref: new WeakRef(payload) };
      }
      throw new Error('not refused');
    };
    const { error, ref } = refuse();
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    assert.ok(error instanceof ClaimsgateError);
    assert.equal(ref.deref(), undefined, 'the error retained its frames’ receiver');
    assert.match(error.stack ?? '', /Holder\.refuse/);
  });
});
