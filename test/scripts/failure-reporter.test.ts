import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
// @ts-expect-error: a plain ES module without types (scripts/ is not TypeScript).
import failureReporter from '../../scripts/failure-reporter.mjs';

/** What the reporter writes for these test events. */
async function report(events: readonly unknown[]): Promise<string> {
  const source = (async function* () {
    for (const event of events) yield await Promise.resolve(event);
  })();
  let written = '';
  for await (const chunk of (failureReporter as (source: AsyncIterable<unknown>) => AsyncIterable<string>)(
    source,
  ))
    written += chunk;
  return written;
}

const failing = (cause: unknown) => [
  { type: 'test:start', data: { file: '/x/a.test.ts', nesting: 0, name: 'suite' } },
  { type: 'test:start', data: { file: '/x/a.test.ts', nesting: 1, name: 'case' } },
  {
    type: 'test:fail',
    data: {
      file: '/x/a.test.ts',
      nesting: 1,
      name: 'case',
      details: { error: { failureType: 'testCodeFailure', cause } },
    },
  },
];

describe('the failure reporter', () => {
  it('names the failed test with its suite and the first lines of its error', async () => {
    const text = await report(failing(new Error('expected 1, got 2')));
    assert.match(text, /suite › case/);
    assert.match(text, /Error: expected 1, got 2/);
  });

  it('does not throw on an error that arrives as an object without a prototype, and says what to do', async () => {
    const bare = Object.create(null) as object;
    const text = await report(failing(bare));
    assert.match(text, /suite › case/);
    assert.match(text, /run this file alone/);
  });

  it('writes the message of an error-like object without a prototype', async () => {
    const bare = Object.assign(Object.create(null) as object, { message: 'socket hang up' });
    assert.match(await report(failing(bare)), /socket hang up/);
  });
});
