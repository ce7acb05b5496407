import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCpuGate } from '../../src/lib/cpu-gate.js';

describe('createCpuGate', () => {
  it('lets I/O that arrived during one step run before the next step', async () => {
    const gate = createCpuGate();
    const events: string[] = [];
    const first = gate.run(() => {
      events.push('step 1');
      setImmediate(() => events.push('I/O'));
    });
    const second = gate.run(() => events.push('step 2'));
    await Promise.all([first, second]);
    assert.deepEqual(events, ['step 1', 'I/O', 'step 2']);
  });

  it('runs one step at a time, in the order they asked, async ones included', async () => {
    const gate = createCpuGate();
    const events: string[] = [];
    let running = 0;
    const step = (name: string) => async (): Promise<string> => {
      running += 1;
      assert.equal(running, 1, `${name} runs alone`);
      events.push(`${name} starts`);
      await new Promise((resolve) => setTimeout(resolve, 1));
      events.push(`${name} ends`);
      running -= 1;
      return name;
    };
    const results = await Promise.all([gate.run(step('a')), gate.run(step('b')), gate.run(step('c'))]);
    assert.deepEqual(results, ['a', 'b', 'c']);
    assert.deepEqual(events, ['a starts', 'a ends', 'b starts', 'b ends', 'c starts', 'c ends']);
  });

  it("passes a step's error on and goes on with the next step", async () => {
    const gate = createCpuGate();
    const failing = gate.run(() => {
      throw new Error('boom');
    });
    const next = gate.run(() => 'next');
    assert.equal(gate.waiting, 1);
    await assert.rejects(failing, /boom/);
    assert.equal(await next, 'next');
    assert.equal(gate.waiting, 0);
  });
});
