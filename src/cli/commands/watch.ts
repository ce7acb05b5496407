import { InvalidArgumentError, type Command } from 'commander';
import { createRolloverEngine } from '../../rollover/rollover-engine.js';
import type { AuditEntry } from '../../store/model.js';
import { withStore } from '../open-cli-store.js';
import { EXIT, formatInstant, type CliIo } from '../output.js';
import { runAction, type CliContext } from '../run-action.js';
import { issuerNamesById } from '../store-lookups.js';
import { addStoreOptions, storeExamples, type StoreOptions } from './store-options.js';

interface WatchOptions extends StoreOptions {
  readonly allowHttp: boolean;
  readonly duration?: number;
  readonly pollMs: number;
}

function parseDurationSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 7 * 86_400) {
    throw new InvalidArgumentError(`"${value}" is not a number of seconds between 0 and 604800`);
  }
  return seconds;
}

function parsePollMs(value: string): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 50 || ms > 60_000) {
    throw new InvalidArgumentError(`"${value}" is not a whole number of milliseconds between 50 and 60000`);
  }
  return ms;
}

/** Resolves after `seconds`, or at SIGINT / SIGTERM, whichever comes first. */
function untilStopped(seconds: number | undefined): Promise<void> {
  return new Promise((resolve) => {
    const finish = (): void => {
      process.off('SIGINT', finish);
      process.off('SIGTERM', finish);
      if (timer !== undefined) clearTimeout(timer);
      resolve();
    };
    const timer = seconds === undefined ? undefined : setTimeout(finish, seconds * 1000);
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
  });
}

function describeEntry(entry: AuditEntry, names: ReadonlyMap<string, string>): string {
  const issuer = entry.issuerId === null ? '' : (names.get(entry.issuerId) ?? entry.issuerId);
  const facts =
    entry.refresh === null
      ? ''
      : ` ${entry.refresh.outcome}${entry.refresh.httpStatus === null ? '' : ` HTTP ${entry.refresh.httpStatus}`}${entry.refresh.code === null ? '' : ` ${entry.refresh.code}`}`;
  return `${formatInstant(entry.at)}  ${entry.action.padEnd(22)} ${issuer.padEnd(16)} ${entry.subject ?? ''}${facts}  (${entry.actor})`;
}

/**
 * Runs the rollover engine against the store — refreshes at start and on each
 * issuer's interval, alerts — and prints every audit entry as it is written,
 * by this process or by any other sharing the database.
 */
async function runWatch(io: CliIo, options: WatchOptions): Promise<number> {
  return withStore(io, options.db, async (store) => {
    const engine = createRolloverEngine({
      store,
      fetch: io.fetch,
      now: io.now,
      allowHttp: options.allowHttp,
      // The engine's own log goes to stderr; stdout carries the audit story.
      logger: (entry) => io.stderr(`${JSON.stringify(entry)}\n`),
    });
    // Start after the entries already written: page to the end of the log.
    let lastId = 0;
    for (
      let page = await store.listAudit({ limit: 1000 });
      page.length > 0;
      page = await store.listAudit({ afterId: lastId, limit: 1000 })
    ) {
      lastId = page.at(-1)!.id;
    }
    const print = async (): Promise<void> => {
      const entries = await store.listAudit({ afterId: lastId, limit: 1000 });
      if (entries.length === 0) return;
      const names = await issuerNamesById(store);
      for (const entry of entries) {
        io.stdout(options.json ? `${JSON.stringify(entry)}\n` : `${describeEntry(entry, names)}\n`);
        lastId = entry.id;
      }
    };
    if (!options.json) {
      const issuers = await store.listIssuers();
      io.stdout(
        `Watching ${issuers.length} issuer${issuers.length === 1 ? '' : 's'} (${store.backend}); trust changes appear below as they happen. Ctrl-C stops.\n`,
      );
    }
    await engine.start();
    await print();
    const poller = setInterval(() => {
      print().catch((error: unknown) => io.stderr(`${String(error)}\n`));
    }, options.pollMs);
    try {
      await untilStopped(options.duration);
    } finally {
      clearInterval(poller);
      await engine.stop();
      await print();
    }
    return EXIT.ok;
  });
}

/** `claimsgate watch`: keep trust following the issuers, and show each change as it happens. */
export function registerWatchCommand(program: Command, context: CliContext): void {
  const command = program
    .command('watch')
    .summary('run the rollover engine and print every change of trust as it happens')
    .description(
      [
        'Run the rollover engine on the store: every issuer with a metadata URL is refreshed now and then',
        'on its interval (with jitter and conditional GET), keys follow the metadata (announced, retiring,',
        'retired, expired), alerts fire. Every audit entry — written here or by another instance sharing',
        'the database — is printed as it appears. Runs until Ctrl-C (or --duration).',
      ].join('\n'),
    )
    .option('--duration <seconds>', 'stop after this many seconds', parseDurationSeconds)
    .option('--poll <ms>', 'how often the audit log is read (default 1000)', parsePollMs, 1000)
    .option('--allow-http', 'allow plain http:// metadata URLs to non-loopback hosts', false);
  addStoreOptions(command, 'print audit entries as JSON lines')
    .addHelpText(
      'after',
      storeExamples('claimsgate watch', 'claimsgate watch --db postgres://claimsgate@db/claimsgate --json'),
    )
    .action(async (options: WatchOptions & { poll: number }) => {
      await runAction(context, options.json, () =>
        runWatch(context.io, { ...options, pollMs: options.poll }),
      );
    });
}
