/**
 * Security review 12 (commit 498b616): the replay ledger on SQLite, now
 * committed with synchronous = NORMAL, still refuses every replay: twice,
 * concurrently, across a clean close and reopen, and after a process killed
 * with SIGKILL right after it recorded the IDs (docs/store.md: a process
 * crash loses none; only a power cut may).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { openStore } from '../../src/store/open-store.js';
import { createStoreReplayCache } from '../../src/store/store-replay-cache.js';

const dir = mkdtempSync(join(tmpdir(), 'claimsgate-sr12-durable-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const now = new Date('2026-03-01T09:00:00.000Z');
const expires = new Date(now.getTime() + 3_600_000);

describe('security review 12: replays refused on the SQLite ledger', () => {
  it('same ID twice, and twice at once', async () => {
    const store = await openStore(join(dir, 'twice.db'));
    try {
      assert.equal(await store.checkAndStoreReplay('_a', expires, now), true);
      assert.equal(await store.checkAndStoreReplay('_a', expires, now), false);
      const both = await Promise.all([
        store.checkAndStoreReplay('_b', expires, now),
        store.checkAndStoreReplay('_b', expires, now),
      ]);
      assert.deepEqual(both.sort(), [false, true]);
      // Through the cache the validator uses, fresh ledger each time (no local memory to help).
      const cache = createStoreReplayCache(store, () => now);
      const racing = await Promise.all([
        cache.checkAndStore('_c', expires),
        cache.checkAndStore('_c', expires),
      ]);
      assert.deepEqual(racing.sort(), [false, true]);
      // Past its expiry the entry is taken over (by design: the expiry already includes the clock skew).
      const later = new Date(expires.getTime() + 1);
      assert.equal(await store.checkAndStoreReplay('_a', new Date(later.getTime() + 60_000), later), true);
      assert.equal(await store.checkAndStoreReplay('_a', new Date(later.getTime() + 60_000), later), false);
      // One millisecond before expiry it is still a replay.
      assert.equal(await store.checkAndStoreReplay('_b', expires, new Date(expires.getTime() - 1)), false);
    } finally {
      await store.close();
    }
  });

  it('keeps the IDs across a clean close and reopen (a restart)', async () => {
    const path = join(dir, 'restart.db');
    const first = await openStore(path);
    for (let i = 0; i < 50; i += 1)
      assert.equal(await first.checkAndStoreReplay(`_r${i}`, expires, now), true);
    await first.close();
    const second = await openStore(path);
    try {
      for (let i = 0; i < 50; i += 1)
        assert.equal(await second.checkAndStoreReplay(`_r${i}`, expires, now), false, `_r${i}`);
      const cache = createStoreReplayCache(second, () => now);
      assert.equal(await cache.checkAndStore('token-x', expires), true);
    } finally {
      await second.close();
    }
    const third = await openStore(path);
    try {
      const cache = createStoreReplayCache(third, () => now);
      assert.equal(
        await cache.checkAndStore('token-x', expires),
        false,
        'the cache digest survived the restart too',
      );
    } finally {
      await third.close();
    }
  });

  it('keeps the IDs a child recorded right before it was killed with SIGKILL', async () => {
    const path = join(dir, 'killed.db');
    const count = 200;
    const child = spawn(process.execPath, [
      '--import',
      import.meta.resolve('tsx'),
      fileURLToPath(new URL('./replay-child.ts', import.meta.url)),
      path,
      String(count),
    ]);
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) {
          child.kill('SIGKILL');
          resolve(out.split('\n')[0]!);
        }
      });
      child.on('exit', (code) => reject(new Error(`child exited ${code}: ${stderr}`)));
    });
    await new Promise((resolve) =>
      child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve),
    );
    assert.equal(child.signalCode, 'SIGKILL');
    assert.deepEqual(JSON.parse(line), { fresh: true });
    // Killed, not closed: the IDs are only in the WAL, never checkpointed.
    assert.ok(existsSync(`${path}-wal`) && statSync(`${path}-wal`).size > 0, 'a WAL left behind');
    const store = await openStore(path);
    try {
      const at = new Date();
      const later = new Date(at.getTime() + 3_600_000);
      for (let i = 0; i < count; i += 1)
        assert.equal(
          await store.checkAndStoreReplay(`_id-${i}`, later, at),
          false,
          `_id-${i} forgotten after kill -9`,
        );
    } finally {
      await store.close();
    }
  });
});
