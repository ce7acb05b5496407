// `npm run bench -- store`: the store work of one sign-in, per operation, on
// the SQLite store (a fresh file): the reads the sign-in path makes
// (getIssuer, findIssuerByDomain, listIssuers, listRealms), the replay insert and the key-use
// record. Run it before and after a change to the store's query layer; the
// file lives in --dir (default: the system's temporary directory), so that
// /dev/shm measures the statements without the disk's fsync.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { measureAll } from './measure.js';

const USAGE = `Usage: npm run bench -- store [--seconds N] [--rounds N] [--issuers N] [--dir PATH]
  --seconds N   timed run per operation, in seconds (default 3)
  --rounds N    the operations take turns N times (default 3)
  --issuers N   issuers (each with a key and an e-mail domain) and realms in the store (default 10)
  --dir PATH    where the SQLite file is made (default: the system's temporary directory;
                /dev/shm leaves the disk's fsync out of the writes)`;

const ACTOR = 'bench';
/** The sign-in path records replays that expire an hour on. */
const REPLAY_LIFETIME_MS = 3_600_000;

interface StoreOperation {
  readonly name: string;
  readonly run: () => Promise<unknown>;
}

function count(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new TypeError(`--${name} must be a positive number`);
  return number;
}

/** The e-mail domain of the `index`th issuer. */
function domainOf(index: number): string {
  return `tenant-${index}.bench.test`;
}

/** Fills the store with `issuers` issuers, each with an active key, an e-mail domain and a realm allowing it. */
async function seed(
  store: Store,
  issuers: number,
): Promise<{ issuerName: string; keyId: string; lastDomain: string }> {
  let first: { issuerName: string; keyId: string } | undefined;
  for (let index = 0; index < issuers; index += 1) {
    const issuer = await store.createIssuer(
      { name: `bench-${index}`, issuerUri: `https://sts.bench.test/${index}/`, domains: [domainOf(index)] },
      ACTOR,
    );
    const key = await store.addKey(
      {
        issuerId: issuer.id,
        sha1: index.toString(16).padStart(40, '0').toUpperCase(),
        source: 'manual',
        state: 'active',
      },
      ACTOR,
    );
    await store.createRealm(
      {
        realmUri: `https://app.bench.test/${index}/`,
        replyUrl: `https://app.bench.test/${index}/signin`,
        allowedIssuerIds: [issuer.id],
      },
      ACTOR,
    );
    first ??= { issuerName: issuer.name, keyId: key.id };
  }
  if (first === undefined) throw new TypeError('--issuers must be at least 1');
  return { ...first, lastDomain: domainOf(issuers - 1) };
}

function operations(store: Store, issuerName: string, keyId: string, domain: string): StoreOperation[] {
  let replay = 0;
  let tick = 0;
  const start = Date.now();
  return [
    { name: 'getIssuer (by name)', run: () => store.getIssuer(issuerName) },
    { name: 'findIssuerByDomain', run: () => store.findIssuerByDomain(domain) },
    { name: 'listIssuers', run: () => store.listIssuers() },
    { name: 'listRealms', run: () => store.listRealms() },
    {
      name: 'checkAndStoreReplay (new ID)',
      run: () => {
        replay += 1;
        const now = new Date(start);
        return store.checkAndStoreReplay(`_bench-${replay}`, new Date(start + REPLAY_LIFETIME_MS), now);
      },
    },
    {
      name: 'recordKeyUse (active key)',
      run: () => {
        tick += 1;
        return store.recordKeyUse(keyId, new Date(start + tick));
      },
    },
  ];
}

export async function runStoreBench(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      seconds: { type: 'string' },
      rounds: { type: 'string' },
      issuers: { type: 'string' },
      dir: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    console.log(USAGE);
    return;
  }
  const seconds = count('seconds', values.seconds, 3);
  const rounds = Math.ceil(count('rounds', values.rounds, 3));
  const issuers = Math.floor(count('issuers', values.issuers, 10));
  const dir = mkdtempSync(join(values.dir ?? tmpdir(), 'claimsgate-bench-store-'));
  const cpu = cpus();
  console.log(
    `claimsgate store bench — ${new Date().toISOString()} — node ${process.version} — ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}`,
  );
  console.log(`SQLite file in ${dir}; ${issuers} issuers, keys and realms; ${seconds} s per operation\n`);
  const store = await openSqliteStore(join(dir, 'claimsgate.db'));
  try {
    const { issuerName, keyId, lastDomain } = await seed(store, issuers);
    const list = operations(store, issuerName, keyId, lastDomain);
    const measurements = await measureAll(
      list.map((operation) => operation.run),
      {
        seconds,
        rounds,
        maxIterations: 1_000_000,
        warmupSeconds: Math.min(1, seconds / 3),
        warmupIterations: 5_000,
      },
    );
    const width = Math.max(...list.map((operation) => operation.name.length));
    console.log(`${'operation'.padEnd(width)}  ${'per second'.padStart(12)}  ${'µs each'.padStart(9)}`);
    for (const [index, operation] of list.entries()) {
      const measurement = measurements[index]!;
      console.log(
        `${operation.name.padEnd(width)}  ${Math.round(measurement.perSecond).toLocaleString('en-US').padStart(12)}  ${measurement.microseconds.toFixed(1).padStart(9)}`,
      );
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
