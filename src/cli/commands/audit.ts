import type { Command } from 'commander';
import { notFoundError } from '../../store/store-errors.js';
import type { AuditQuery } from '../../store/store.js';
import { withStore } from '../open-cli-store.js';
import { EXIT, formatInstant, renderTable, toJson, type CliIo } from '../output.js';
import { runAction, type CliContext } from '../run-action.js';
import { issuerNamesById, looksLikeRecordId } from '../store-lookups.js';
import { parseInstant } from './metadata.js';
import { addStoreOptions, parseLimit, storeExamples, type StoreOptions } from './store-options.js';

interface AuditOptions extends StoreOptions {
  readonly issuer?: string;
  readonly since?: Date;
  readonly limit?: number;
}

async function runAudit(io: CliIo, options: AuditOptions): Promise<number> {
  return withStore(io, options.db, async (store) => {
    let issuerId: string | undefined;
    if (options.issuer !== undefined) {
      // A removed issuer's history stays in the log: its ID is accepted as well as a current name.
      issuerId = (await store.getIssuer(options.issuer))?.id;
      if (issuerId === undefined && looksLikeRecordId(options.issuer)) issuerId = options.issuer;
      if (issuerId === undefined) throw notFoundError('issuer', options.issuer, 'name or ID');
    }
    const query: AuditQuery = {
      ...(issuerId === undefined ? {} : { issuerId }),
      ...(options.since === undefined ? {} : { since: options.since }),
      ...(options.limit === undefined ? {} : { limit: options.limit }),
    };
    const [entries, names] = await Promise.all([store.listAudit(query), issuerNamesById(store)]);
    if (options.json) {
      io.stdout(
        `${toJson(entries.map((entry) => ({ ...entry, issuer: entry.issuerId === null ? null : (names.get(entry.issuerId) ?? null) })))}\n`,
      );
      return EXIT.ok;
    }
    if (entries.length === 0) {
      io.stdout('No audit entries.\n');
      return EXIT.ok;
    }
    const rows = entries.map((entry) => [
      String(entry.id),
      formatInstant(entry.at),
      entry.actor,
      entry.action,
      entry.issuerId === null ? '' : (names.get(entry.issuerId) ?? entry.issuerId),
      entry.subject ?? '',
      entry.refresh?.url ?? '',
      entry.refresh === null || entry.refresh.httpStatus === null ? '' : String(entry.refresh.httpStatus),
      entry.refresh?.etag ?? '',
      entry.refresh?.sha256 ?? '',
    ]);
    io.stdout(
      `${renderTable(['ID', 'AT', 'ACTOR', 'ACTION', 'ISSUER', 'SUBJECT', 'URL', 'HTTP', 'ETAG', 'SHA-256'], rows)}\n`,
    );
    return EXIT.ok;
  });
}

/** `claimsgate audit`: every change of trust, oldest first. */
export function registerAuditCommand(program: Command, context: CliContext): void {
  addStoreOptions(program.command('audit'), 'print the entries (with before/after values) as JSON')
    .summary('show the audit log: every change of trust, who made it, and each refresh')
    .description(
      [
        'Show the append-only audit log, oldest first: issuers, keys, realms and mappings created, changed',
        'and removed (actor cli:<user>, admin:<name>, refresh, rollover), refreshes with their URL, HTTP',
        'status, ETag and the SHA-256 of the document, and the alerts raised.',
      ].join('\n'),
    )
    .option('--issuer <name>', 'only the entries about this issuer (name, or the ID of a removed one)')
    .option('--since <iso>', 'only the entries at or after this instant', parseInstant)
    .option('--limit <n>', 'at most this many entries, from the oldest (default 1000)', parseLimit)
    .addHelpText(
      'after',
      storeExamples(
        'claimsgate audit --issuer contoso-aad --since 2026-11-01T00:00:00Z',
        'claimsgate audit --limit 50 --json',
      ),
    )
    .action(async (options: AuditOptions) => {
      await runAction(context, options.json, () => runAudit(context.io, options));
    });
}
