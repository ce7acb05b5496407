import { manualTimers } from '../helpers/manual-timers.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClaimsgateError } from '../../src/lib/errors.js';
import { createErrorDigest } from '../../src/rollover/error-digest.js';
import type { LogEntry } from '../../src/rollover/structured-log.js';

function storeDown(): ClaimsgateError {
  return new ClaimsgateError('CG_STORE_UNAVAILABLE', 'The store could not be reached: connection refused.');
}

describe('background errors, aggregated', () => {
  it('logs the first error of a kind at once and its repeats once per window, with their count', () => {
    const lines: LogEntry[] = [];
    const timers = manualTimers();
    const digest = createErrorDigest({
      logger: (line) => lines.push(line),
      timers,
      event: 'rollover.background-error',
    });
    for (let index = 0; index < 10_000; index += 1) digest.report(storeDown());
    digest.report(new Error('socket hang up'));
    digest.report(new Error('socket hang up'));
    assert.deepEqual(lines, [
      {
        level: 'error',
        event: 'rollover.background-error',
        code: 'CG_STORE_UNAVAILABLE',
        error: 'The store could not be reached: connection refused.',
      },
      { level: 'error', event: 'rollover.background-error', error: 'socket hang up' },
    ]);
    assert.equal(timers.armed.size, 1, 'one timer for the window');
    timers.fireAll();
    assert.equal(lines.length, 4);
    assert.deepEqual(lines[2], {
      level: 'error',
      event: 'rollover.background-error',
      code: 'CG_STORE_UNAVAILABLE',
      error: 'The store could not be reached: connection refused.',
      repeated: 9_999,
      windowSeconds: 60,
    });
    assert.equal(lines[3]?.['repeated'], 1);
    // A new window: the next error is logged at once again.
    digest.report(storeDown());
    assert.equal(lines.length, 5);
    assert.equal(lines[4]?.['repeated'], undefined);
  });

  it('says nothing at the end of a window without repeats, and flushes the counts when the engine stops', () => {
    const lines: LogEntry[] = [];
    const timers = manualTimers();
    const digest = createErrorDigest({
      logger: (line) => lines.push(line),
      timers,
      event: 'e',
      windowMs: 5_000,
    });
    digest.report(storeDown());
    timers.fireAll();
    assert.equal(lines.length, 1);
    digest.report(storeDown());
    digest.report(storeDown());
    digest.flush();
    assert.equal(lines.length, 3);
    assert.equal(lines[2]?.['repeated'], 1);
    assert.equal(lines[2]?.['windowSeconds'], 5);
    assert.equal(timers.armed.size, 0, 'the stop cleared the timer');
  });

  it('counts errors beyond the kinds it tracks as other, so distinct messages cannot grow it without bound', () => {
    const lines: LogEntry[] = [];
    const timers = manualTimers();
    const digest = createErrorDigest({ logger: (line) => lines.push(line), timers, event: 'e', maxKinds: 3 });
    for (let index = 0; index < 1_000; index += 1) digest.report(new Error(`refused at port ${index}`));
    assert.equal(lines.length, 3, 'three kinds logged at once, the rest counted');
    timers.fireAll();
    assert.deepEqual(lines.at(-1), {
      level: 'error',
      event: 'e',
      error: 'errors of other kinds',
      repeated: 997,
      windowSeconds: 60,
    });
  });
});
