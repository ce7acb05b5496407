// Child for replay-durability.test.ts: records the IDs given, says so, then waits to be killed.
import { openStore } from '../../src/store/open-store.js';

const [path, count] = process.argv.slice(2);
const store = await openStore(path);
const now = new Date();
const expires = new Date(now.getTime() + 3_600_000);
const fresh: boolean[] = [];
for (let i = 0; i < Number(count); i += 1)
  fresh.push(await store.checkAndStoreReplay(`_id-${i}`, expires, now));
process.stdout.write(`${JSON.stringify({ fresh: fresh.every(Boolean) })}\n`);
setInterval(() => undefined, 60_000);
