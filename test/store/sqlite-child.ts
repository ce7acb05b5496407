// A second claimsgate process for the SQLite tests: opens the store named by
// argv[2] ("-" for the default location) through openStore and reports one
// JSON line. With argv[3] = "hold" it keeps the store open until its stdin
// ends (or it is killed), so the parent can test what another process sees.
import { isClaimsgateError } from '../../src/lib/errors.js';
import { openStore } from '../../src/store/open-store.js';

const location = process.argv[2] === '-' ? undefined : process.argv[2];
const hold = process.argv[3] === 'hold';

try {
  const store = await openStore(location);
  process.stdout.write(`${JSON.stringify({ opened: true, pid: process.pid })}\n`);
  if (hold) {
    process.stdin.resume();
    await new Promise((resolve) => process.stdin.once('end', resolve));
  }
  await store.close();
} catch (error) {
  process.stdout.write(
    `${JSON.stringify({ opened: false, code: isClaimsgateError(error) ? error.code : String(error) })}\n`,
  );
  process.exitCode = 1;
}
