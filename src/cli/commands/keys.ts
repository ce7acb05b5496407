import type { Command } from 'commander';
import { readCertificates } from '../../crypto/certificate.js';
import { normalizeThumbprint } from '../../crypto/thumbprint.js';
import type { KeyRecord, NewKey } from '../../store/model.js';
import { notFoundError } from '../../store/store-errors.js';
import type { Store } from '../../store/store.js';
import { USABLE_KEY_STATES } from '../../tokens/trust-snapshot.js';
import { confirmChange } from '../confirm-change.js';
import { withStore } from '../open-cli-store.js';
import { EXIT, renderTable, toJson, type CliIo } from '../output.js';
import { readSource } from '../read-source.js';
import { runAction, type CliContext } from '../run-action.js';
import { findIssuer, issuerNamesById, looksLikeRecordId } from '../store-lookups.js';
import { KEY_HEADER, keyCells, viewKey } from '../store-views.js';
import { addStoreOptions, storeExamples, usage, type StoreOptions } from './store-options.js';

interface ListOptions extends StoreOptions {
  readonly issuer?: string;
  readonly all: boolean;
}

interface AddOptions extends StoreOptions {
  readonly issuer: string;
  readonly thumbprint?: string;
  readonly certificate?: string;
}

interface RevokeOptions extends StoreOptions {
  readonly issuer?: string;
  readonly reason?: string;
  readonly yes: boolean;
}

async function runList(io: CliIo, options: ListOptions): Promise<number> {
  return withStore(io, options.db, async (store) => {
    const issuerId = options.issuer === undefined ? undefined : (await findIssuer(store, options.issuer)).id;
    const names = await issuerNamesById(store);
    const keys = (await store.listKeys(issuerId))
      .filter((key) => options.all || USABLE_KEY_STATES.has(key.state))
      .map((key) => viewKey(key, names.get(key.issuerId) ?? key.issuerId, io.now()));
    if (options.json) {
      io.stdout(`${toJson(keys)}\n`);
    } else if (keys.length === 0) {
      io.stdout(
        options.all ? 'No keys.\n' : 'No usable keys (--all lists retired, revoked and expired ones too).\n',
      );
    } else {
      const rows = keys.map((key) => [key.id, key.issuer, ...keyCells(key)]);
      io.stdout(`${renderTable(['ID', 'ISSUER', ...KEY_HEADER], rows)}\n`);
    }
    return EXIT.ok;
  });
}

/** The key to add from `--thumbprint` (normalised, with what was removed reported) or `--certificate`. */
async function newKeyFrom(
  io: CliIo,
  command: Command,
  issuerId: string,
  options: AddOptions,
): Promise<NewKey> {
  if (options.thumbprint !== undefined) {
    const { thumbprint, algorithm, removed } = normalizeThumbprint(options.thumbprint);
    const noteworthy = removed.filter((c) => c.name !== 'SPACE' && c.name !== 'COLON');
    if (noteworthy.length > 0) {
      io.stderr(
        `removed from the thumbprint: ${noteworthy.map((c) => `${c.codePoint} ${c.name} at position ${c.position}`).join(', ')}\n`,
      );
    }
    return {
      issuerId,
      source: 'manual',
      ...(algorithm === 'sha1' ? { sha1: thumbprint } : { sha256: thumbprint }),
    };
  }
  const { bytes, origin } = await readSource(options.certificate ?? '-', io);
  const certificates = readCertificates(bytes);
  // SECURITY: a chain pasted whole would make its CA certificates trusted token signers.
  if (certificates.length !== 1) {
    usage(
      command,
      `${origin} holds ${certificates.length} certificates; give a file with the issuer's signing certificate only`,
    );
  }
  return { issuerId, source: 'manual', certificateDer: Buffer.from(certificates[0]!.der) };
}

async function runAdd(io: CliIo, command: Command, options: AddOptions): Promise<number> {
  if ((options.thumbprint === undefined) === (options.certificate === undefined)) {
    usage(command, 'give either --thumbprint or --certificate');
  }
  return withStore(io, options.db, async (store) => {
    const issuer = await findIssuer(store, options.issuer);
    const key = await store.addKey(await newKeyFrom(io, command, issuer.id, options), io.actor);
    const view = viewKey(key, issuer.name, io.now());
    io.stdout(
      options.json
        ? `${toJson(view)}\n`
        : `Added key ${key.id} to issuer ${issuer.name}: ${key.sha1 ?? key.sha256 ?? ''} (${key.state}${key.subject === null ? '' : `, ${key.subject}`}).\n`,
    );
    return EXIT.ok;
  });
}

/** The key a revoke names: its ID, or its SHA-1 / SHA-256 thumbprint (within --issuer). */
async function findKeysToRevoke(
  store: Store,
  target: string,
  issuerId: string | undefined,
): Promise<KeyRecord[]> {
  if (looksLikeRecordId(target)) {
    const key = await store.getKey(target);
    if (key === undefined || (issuerId !== undefined && key.issuerId !== issuerId))
      throw notFoundError('key', target);
    return [key];
  }
  const { thumbprint } = normalizeThumbprint(target);
  const matches = (await store.listKeys(issuerId)).filter(
    (key) => key.sha1 === thumbprint || key.sha256 === thumbprint,
  );
  if (matches.length === 0) throw notFoundError('key', thumbprint, 'thumbprint');
  return matches;
}

async function runRevoke(
  io: CliIo,
  command: Command,
  target: string,
  options: RevokeOptions,
): Promise<number> {
  return withStore(io, options.db, async (store) => {
    const issuerId = options.issuer === undefined ? undefined : (await findIssuer(store, options.issuer)).id;
    const names = await issuerNamesById(store);
    const matches = await findKeysToRevoke(store, target, issuerId);
    if (matches.length > 1) {
      const issuers = matches.map((key) => names.get(key.issuerId) ?? key.issuerId).join(', ');
      usage(command, `the thumbprint is a key of several issuers (${issuers}); name one with --issuer`);
    }
    const key = matches[0]!;
    const issuerName = names.get(key.issuerId) ?? key.issuerId;
    const question = `Revoke key ${key.sha1 ?? key.sha256 ?? key.kid ?? key.id} of issuer "${issuerName}"? Tokens it signs will be refused, and metadata will not bring it back.`;
    if (!(await confirmChange(io, question, options.yes))) {
      io.stderr('Nothing was changed.\n');
      return EXIT.rejected;
    }
    const revoked = await store.setKeyState(key.id, 'revoked', io.actor, options.reason);
    const view = viewKey(revoked, issuerName, io.now());
    io.stdout(options.json ? `${toJson(view)}\n` : `Revoked key ${revoked.id} of issuer ${issuerName}.\n`);
    return EXIT.ok;
  });
}

/** `claimsgate keys …`: the keys trusted for each issuer. */
export function registerKeysCommand(program: Command, context: CliContext): void {
  const { io } = context;
  const keys = program
    .command('keys')
    .summary('list, add and revoke the signing keys trusted for each issuer')
    .description(
      [
        'The signing keys trusted for each issuer: those its metadata published (followed by the rollover',
        'engine) and those added by hand. A revoked key is refused even while the metadata still publishes it.',
      ].join('\n'),
    );

  addStoreOptions(keys.command('list').summary('list the keys trusted'), 'print the keys as JSON')
    .description(
      'List the usable keys (announced, active, retiring); --all adds retired, revoked and expired ones.',
    )
    .option('--issuer <name>', 'only the keys of this issuer')
    .option('--all', 'include retired, revoked and expired keys', false)
    .addHelpText(
      'after',
      storeExamples('claimsgate keys list', 'claimsgate keys list --issuer contoso-aad --all --json'),
    )
    .action(async (options: ListOptions) => {
      await runAction(context, options.json, () => runList(io, options));
    });

  addStoreOptions(
    keys.command('add').summary('trust a thumbprint or certificate by hand'),
    'print the key as JSON',
  )
    .description(
      [
        'Trust a key for an issuer by hand: a thumbprint (pasted as it is: spaces, colons and invisible',
        'characters such as U+200E are removed and reported on stderr) or a certificate file (PEM, base64 or',
        'DER; - for standard input). A bare thumbprint vouches for the certificate a token carries only when',
        'its thumbprint matches; a certificate is used for the signature itself.',
      ].join('\n'),
    )
    .requiredOption('--issuer <name>', 'the issuer name or ID')
    .option('--thumbprint <value>', 'a SHA-1 or SHA-256 thumbprint')
    .option('--certificate <file>', 'a certificate file, or - for standard input')
    .addHelpText(
      'after',
      storeExamples(
        'claimsgate keys add --issuer legacy --thumbprint "‎3464c5bdd2be7f2b6112e2f08e9c0024e33d9fe0"',
        'claimsgate keys add --issuer legacy --certificate signing.pem',
      ),
    )
    .action(async (options: AddOptions, command: Command) => {
      await runAction(context, options.json, () => runAdd(io, command, options));
    });

  addStoreOptions(keys.command('revoke').summary('revoke a key'), 'print the revoked key as JSON')
    .description(
      'Revoke a key: tokens it signs are refused from now on, and a metadata refresh never revives it.',
    )
    .argument('<key>', 'the key ID, or its SHA-1 or SHA-256 thumbprint')
    .option('--issuer <name>', 'the issuer, when the thumbprint is a key of several')
    .option('--reason <text>', 'why, for the audit log')
    .option('--yes', 'revoke without asking', false)
    .addHelpText(
      'after',
      storeExamples(
        'claimsgate keys revoke D5FE73910389B58BBB3B0EBB87FDF110FF79FEBB --reason "key compromised" --yes',
      ),
    )
    .action(async (target: string, options: RevokeOptions, command: Command) => {
      await runAction(context, options.json, () => runRevoke(io, command, target, options));
    });
}
