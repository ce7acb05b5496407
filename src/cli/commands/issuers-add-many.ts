import type { Command } from 'commander';
import { checkShape } from '../../lib/check-shape.js';
import { ClaimsgateError, isClaimsgateError } from '../../lib/errors.js';
import type { ImportDocument } from '../../management/import-document.js';
import { IssuerPatchSchema } from '../../store/issuer-schema.js';
import type { IssuerPatch, NewIssuer } from '../../store/model.js';
import { normalizeDomains } from '../../store/email-domains.js';
import { USABLE_KEY_STATES } from '../../tokens/trust-snapshot.js';
import { withEngine } from '../cli-engine.js';
import { confirmChange } from '../confirm-change.js';
import { withStore } from '../open-cli-store.js';
import { EXIT, renderTable, toJson, type CliIo } from '../output.js';
import { readSource } from '../read-source.js';
import { checkMetadataIssuer } from './issuers-add.js';
import type { StoreOptions } from './store-options.js';
import { mapLimited } from '../../lib/map-limited.js';

/** The options of `issuers add-many`. */
export interface IssuersAddManyOptions extends StoreOptions {
  readonly allowHttp: boolean;
  readonly yes: boolean;
  readonly dryRun: boolean;
  readonly skipFailed: boolean;
  readonly concurrency: string;
}

/** Most issuers one file may list: the documents are held in memory between the check and the store. */
export const MAX_ISSUERS_PER_FILE = 20_000;

/** One line of the file: an issuer's name and settings, as `issuers add` and the admin API take them. */
interface Entry {
  readonly line: number;
  readonly name: string;
  readonly fields: IssuerPatch;
}

/** An entry checked: ready to store, or why not. */
type Checked =
  | {
      readonly entry: Entry;
      readonly ok: true;
      readonly issuer: NewIssuer;
      readonly document: ImportDocument | undefined;
      readonly trustedKeys: number;
    }
  | { readonly entry: Entry; readonly ok: false; readonly error: ClaimsgateError };

function invalidInput(
  message: string,
  line: number | undefined,
  detail: Record<string, unknown> = {},
): never {
  throw new ClaimsgateError('CG_CONFIG_INPUT_INVALID', message, {
    hint: 'Each line is a JSON object with at least "name" and "metadataUrl" (or "issuerUri"), e.g. {"name":"contoso","metadataUrl":"https://…/federationmetadata.xml"}.',
    detail: { ...(line === undefined ? {} : { line }), ...detail },
  });
}

/**
 * Reads the file: JSON Lines, one issuer per line (blank lines and lines
 * starting with `#` skipped). The whole file is checked before anything is
 * fetched: a line that is not an issuer, or a name listed twice, refuses it all.
 *
 * @throws ClaimsgateError `CG_CONFIG_INPUT_INVALID` naming the line.
 */
export function parseIssuerLines(text: string): Entry[] {
  const entries: Entry[] = [];
  const names = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      invalidInput(`Line ${line} is not JSON: ${(error as Error).message}.`, line);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      invalidInput(`Line ${line} is not a JSON object.`, line);
    const { name, ...rest } = value as Record<string, unknown>;
    if (typeof name !== 'string' || name.trim() === '')
      invalidInput(`Line ${line} has no "name".`, line, { field: 'name' });
    const mismatch = checkShape(IssuerPatchSchema, rest, `line ${line}`);
    if (mismatch !== undefined)
      invalidInput(`Line ${line} (${name}): ${mismatch.field} must be ${mismatch.expected}.`, line, {
        field: mismatch.field,
        expected: mismatch.expected,
      });
    const fields = rest as IssuerPatch;
    if ((fields.metadataUrl ?? null) === null && fields.issuerUri === undefined)
      invalidInput(`Line ${line} (${name}) has neither "metadataUrl" nor "issuerUri".`, line, {
        field: 'metadataUrl',
      });
    const earlier = names.get(name);
    if (earlier !== undefined) invalidInput(`Line ${line} names "${name}" again (line ${earlier}).`, line);
    names.set(name, line);
    entries.push({ line, name, fields });
  }
  if (entries.length === 0) invalidInput('The file lists no issuer.', undefined);
  if (entries.length > MAX_ISSUERS_PER_FILE)
    invalidInput(
      `The file lists ${entries.length} issuers; at most ${MAX_ISSUERS_PER_FILE} at a time.`,
      undefined,
      {
        observed: entries.length,
        expected: MAX_ISSUERS_PER_FILE,
      },
    );
  return entries;
}

function asError(error: unknown): ClaimsgateError {
  if (isClaimsgateError(error)) return error;
  throw error;
}

/** Fetches and checks one entry's metadata as `issuers add` does; nothing is stored. */
async function checkEntry(io: CliIo, entry: Entry, options: IssuersAddManyOptions): Promise<Checked> {
  const { fields, name } = entry;
  try {
    const metadataUrl = fields.metadataUrl ?? undefined;
    if (metadataUrl === undefined) {
      return {
        entry,
        ok: true,
        issuer: { ...fields, name, issuerUri: fields.issuerUri! },
        document: undefined,
        trustedKeys: 0,
      };
    }
    // As `issuers add`: a document whose every key has expired is refused before anything is stored.
    const { document, issuer, states } = await checkMetadataIssuer(
      io,
      name,
      fields,
      metadataUrl,
      options.allowHttp,
    );
    const trustedKeys = states.filter((state) => USABLE_KEY_STATES.has(state)).length;
    return { entry, ok: true, issuer, document, trustedKeys };
  } catch (error) {
    return { entry, ok: false, error: asError(error) };
  }
}

function parseConcurrency(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 64) {
    throw new ClaimsgateError(
      'CG_CONFIG_INVALID',
      `--concurrency must be a whole number from 1 to 64; got ${text}.`,
      {
        detail: { field: 'concurrency', observed: text, expected: '1–64' },
      },
    );
  }
  return value;
}

interface Outcome {
  readonly line: number;
  readonly name: string;
  readonly status: 'added' | 'checked' | 'failed' | 'not-stored';
  readonly id?: string;
  readonly trustedKeys?: number;
  readonly code?: string;
  readonly message?: string;
}

function failedOutcome(entry: Entry, error: ClaimsgateError): Outcome {
  return { line: entry.line, name: entry.name, status: 'failed', code: error.code, message: error.message };
}

/**
 * `issuers add-many <file>`: adds many issuers from a JSON Lines file. Every
 * line is read and checked first (the file is refused whole when one is not
 * an issuer); then every issuer's metadata is fetched and checked as `issuers
 * add` does it, several at a time, storing nothing; then, confirmed (or
 * `--yes`), each issuer is created with exactly the keys its document
 * published, each in its own transaction. When any entry fails its check,
 * nothing is stored unless `--skip-failed`.
 *
 * @throws ClaimsgateError `CG_CONFIG_INPUT_UNREADABLE`, `CG_CONFIG_INPUT_INVALID`,
 *   `CG_CONFIG_INVALID` (--concurrency), `CG_CONFIG_CONFIRMATION_REQUIRED`, `CG_STORE_*`.
 */
export async function runIssuersAddMany(
  io: CliIo,
  source: string,
  options: IssuersAddManyOptions,
): Promise<number> {
  const concurrency = parseConcurrency(options.concurrency);
  const { bytes, origin } = await readSource(source, io);
  const entries = parseIssuerLines(bytes.toString('utf8'));
  // Names already taken fail their entry before any fetch.
  // What the store holds already: names fail their entry before any fetch; issuer URIs and
  // e-mail domains are compared once every document is known (see claimsOf below).
  const held = await withStore(io, options.db, async (store) => {
    const issuers = await store.listIssuers();
    return {
      names: new Set(issuers.map((issuer) => issuer.name)),
      uris: new Map(issuers.map((issuer) => [issuer.issuerUri, `issuer ${issuer.name}`])),
      domains: new Map(
        issuers.flatMap((issuer) =>
          issuer.domains.map((domain) => [domain, `issuer ${issuer.name}`] as const),
        ),
      ),
    };
  });
  const taken = new Set(entries.filter((entry) => held.names.has(entry.name)).map((entry) => entry.name));
  let done = 0;
  const checked = await mapLimited(entries, concurrency, async (entry): Promise<Checked> => {
    const result: Checked = taken.has(entry.name)
      ? {
          entry,
          ok: false,
          error: new ClaimsgateError(
            'CG_STORE_DUPLICATE',
            `An issuer named "${entry.name}" already exists.`,
            {
              detail: { entity: 'issuer', field: 'name', observed: entry.name },
            },
          ),
        }
      : await checkEntry(io, entry, options);
    done += 1;
    if (!options.json && entries.length >= 100 && done % Math.ceil(entries.length / 10) === 0)
      io.stderr(`Checked ${done} of ${entries.length} issuers.\n`);
    return result;
  });
  // SECURITY (all or nothing): two lines, or a line and the store, claiming one issuer URI or
  // e-mail domain would pass every check above and fail at the store after the first was stored
  // (security review 8): such an entry fails its check now, before anything is stored.
  const claims = {
    uris: new Map<string, string>(held.uris),
    domains: new Map<string, string>(held.domains),
  };
  const claimed = checked.map((item): Checked => {
    if (!item.ok) return item;
    const holder = (map: Map<string, string>, value: string) => map.get(value);
    const uriHolder = holder(claims.uris, item.issuer.issuerUri);
    let domains: string[];
    try {
      domains = normalizeDomains('domains', item.issuer.domains ?? []);
    } catch (error) {
      // A domain the store would refuse fails its entry now, not after others were stored.
      return { entry: item.entry, ok: false, error: asError(error) };
    }
    const domainHeld = domains.find((domain) => claims.domains.has(domain));
    if (uriHolder !== undefined || domainHeld !== undefined) {
      const what =
        uriHolder !== undefined
          ? `issuer URI ${item.issuer.issuerUri} (also ${uriHolder})`
          : `e-mail domain ${domainHeld!} (also ${claims.domains.get(domainHeld!)!})`;
      return {
        entry: item.entry,
        ok: false,
        error: new ClaimsgateError(
          'CG_STORE_DUPLICATE',
          `Line ${item.entry.line} (${item.entry.name}) claims the ${what}.`,
          {
            detail: {
              entity: 'issuer',
              field: uriHolder !== undefined ? 'issuerUri' : 'domains',
              observed: uriHolder !== undefined ? item.issuer.issuerUri : domainHeld,
            },
          },
        ),
      };
    }
    claims.uris.set(item.issuer.issuerUri, `line ${item.entry.line}`);
    for (const domain of domains) claims.domains.set(domain, `line ${item.entry.line}`);
    return item;
  });
  const failed = claimed.filter((item) => !item.ok);
  const ready = claimed.filter((item): item is Extract<Checked, { ok: true }> => item.ok);
  const summary = [
    `${origin}: ${entries.length} issuers; ${ready.length} checked, ${failed.length} failed.`,
    ...(failed.length === 0
      ? []
      : [
          renderTable(
            ['LINE', 'NAME', 'CODE', 'WHY'],
            failed.map((item) => [
              String(item.entry.line),
              item.entry.name,
              item.error.code,
              item.error.message,
            ]),
          ),
        ]),
  ].join('\n');
  const print = (outcomes: readonly Outcome[], text: string): void =>
    io.stdout(options.json ? `${toJson({ source: origin, issuers: outcomes })}\n` : `${text}\n`);
  const checkedOutcomes = (status: 'checked' | 'not-stored'): Outcome[] =>
    claimed.map((item) =>
      item.ok
        ? { line: item.entry.line, name: item.entry.name, status, trustedKeys: item.trustedKeys }
        : failedOutcome(item.entry, item.error),
    );
  if (options.dryRun) {
    print(checkedOutcomes('checked'), `${summary}\nDry run: nothing was stored.`);
    return failed.length === 0 ? EXIT.ok : EXIT.rejected;
  }
  if (failed.length > 0 && !options.skipFailed) {
    print(
      checkedOutcomes('not-stored'),
      `${summary}\nNothing was stored: fix those lines, or give --skip-failed to add the others.`,
    );
    return EXIT.rejected;
  }
  if (ready.length === 0) {
    print(checkedOutcomes('not-stored'), `${summary}\nNothing to store.`);
    return EXIT.rejected;
  }
  const keys = ready.reduce((total, item) => total + item.trustedKeys, 0);
  const question = `Add ${ready.length} issuers, trusting the ${keys} signing keys their metadata publishes?`;
  if (!options.json) io.stdout(`${summary}\n`);
  if (!(await confirmChange(io, question, options.yes, options.json ? `${summary}\n` : ''))) {
    io.stderr('Nothing was stored.\n');
    return EXIT.rejected;
  }
  const outcomes: Outcome[] = failed.map((item) => failedOutcome(item.entry, item.error));
  await withStore(io, options.db, async (store) =>
    withEngine(io, store, { allowHttp: options.allowHttp }, async (engine) => {
      for (const item of ready) {
        try {
          // One transaction per issuer: it exists with the keys checked above, or not at all.
          const created =
            item.document === undefined
              ? await store.createIssuer(item.issuer, io.actor)
              : (await engine.addIssuer(item.issuer, item.document.attempt, io.actor)).issuer;
          outcomes.push({
            line: item.entry.line,
            name: item.entry.name,
            status: 'added',
            id: created.id,
            trustedKeys: item.trustedKeys,
          });
        } catch (error) {
          outcomes.push(failedOutcome(item.entry, asError(error)));
        }
      }
    }),
  );
  outcomes.sort((a, b) => a.line - b.line);
  const added = outcomes.filter((outcome) => outcome.status === 'added').length;
  const storeFailures = outcomes.filter((outcome) => outcome.status === 'failed').length - failed.length;
  print(
    outcomes,
    [
      `Added ${added} of ${entries.length} issuers.`,
      ...(storeFailures === 0
        ? []
        : [
            renderTable(
              ['LINE', 'NAME', 'CODE', 'WHY'],
              outcomes
                .filter(
                  (outcome) =>
                    outcome.status === 'failed' && !failed.some((item) => item.entry.line === outcome.line),
                )
                .map((outcome) => [
                  String(outcome.line),
                  outcome.name,
                  outcome.code ?? '',
                  outcome.message ?? '',
                ]),
            ),
          ]),
    ].join('\n'),
  );
  return added === entries.length ? EXIT.ok : EXIT.rejected;
}

/** Registers `issuers add-many` under `issuers`. */
export function registerIssuersAddMany(
  issuers: Command,
  run: (source: string, options: IssuersAddManyOptions) => Promise<void>,
  addStoreOptions: (command: Command, jsonHelp: string) => Command,
  examples: (...lines: string[]) => string,
): void {
  const command = issuers
    .command('add-many')
    .summary('add many issuers from a JSON Lines file')
    .description(
      [
        'Add many issuers at once (provisioning thousands of tenants). <file> (or - for standard input) holds one',
        'JSON object per line with the fields `issuers add` and the admin API take: "name" and "metadataUrl" (or',
        '"issuerUri" for an issuer whose keys you add by hand), and optionally "label", "refreshIntervalSeconds",',
        '"signaturePolicy", "allowedTenants", "domains" (the e-mail domains it signs users in for), … Blank lines',
        'and lines starting with # are skipped.',
        '',
        'The whole file is checked first: a line that is not an issuer, or a name listed twice, refuses it all',
        '(CG_CONFIG_INPUT_INVALID). Then every metadata document is fetched and checked as `issuers add` does,',
        '--concurrency at a time, storing nothing. When an entry fails (fetch, signature, every key expired, a',
        'name already taken), nothing is stored unless --skip-failed. Then, confirmed (or --yes), each issuer is',
        'created with exactly the keys its document published, in a transaction of its own.',
        `At most ${MAX_ISSUERS_PER_FILE} issuers per file: the documents are held in memory until stored.`,
      ].join('\n'),
    )
    .argument('<file>', 'a JSON Lines file, or - for standard input')
    .option('--concurrency <n>', 'metadata documents fetched at once (1–64)', '8')
    .option('--dry-run', 'fetch and check everything, store nothing', false)
    .option('--skip-failed', 'add the issuers that passed their checks even when others failed', false)
    .option('--allow-http', 'allow plain http:// metadata URLs to non-loopback hosts', false)
    .option('--yes', 'trust what each metadata document publishes without asking', false);
  addStoreOptions(command, 'print each line’s outcome as JSON')
    .addHelpText(
      'after',
      examples(
        'claimsgate issuers add-many tenants.jsonl --dry-run',
        'claimsgate issuers add-many tenants.jsonl --yes --concurrency 16',
        'echo \'{"name":"contoso","metadataUrl":"https://login.microsoftonline.com/<tenant>/federationmetadata/2007-06/federationmetadata.xml"}\' | claimsgate issuers add-many - --yes',
      ),
    )
    .action(async (file: string, options: IssuersAddManyOptions) => run(file, options));
}
