import type { Command } from 'commander';
import type { NewRealm, RealmRecord } from '../../store/model.js';
import type { Store } from '../../store/store.js';
import { withStore } from '../open-cli-store.js';
import { EXIT, formatInstant, renderTable, toJson, type CliIo } from '../output.js';
import { runAction, type CliContext } from '../run-action.js';
import { findIssuer, findRealm, issuerNamesById } from '../store-lookups.js';
import { collect } from './metadata.js';
import {
  addStoreOptions,
  storeExamples,
  parseClearableUrl,
  parseHttpUrl,
  usage,
  type StoreOptions,
} from './store-options.js';

interface RealmFieldOptions extends StoreOptions {
  readonly realmUri?: string;
  readonly replyUrl?: string | null;
  readonly homeRealm?: string;
  readonly allowIssuer?: string[];
  readonly anyIssuer?: boolean;
}

/** A realm with its issuers by name, as the CLI shows it. */
function viewRealm(realm: RealmRecord, names: ReadonlyMap<string, string>): Record<string, unknown> {
  return { ...realm, allowedIssuers: realm.allowedIssuerIds.map((id) => names.get(id) ?? id) };
}

/** The realm fields the options give: issuer names resolved to IDs, the home realm checked to name an issuer. */
async function realmFieldsFrom(store: Store, options: RealmFieldOptions): Promise<Partial<NewRealm>> {
  const fields: { -readonly [K in keyof NewRealm]?: NewRealm[K] } = {};
  if (options.realmUri !== undefined) fields.realmUri = options.realmUri;
  if (options.replyUrl !== undefined && options.replyUrl !== null) fields.replyUrl = options.replyUrl;
  if (options.homeRealm !== undefined) {
    fields.homeRealm = options.homeRealm === '' ? null : (await findIssuer(store, options.homeRealm)).name;
  }
  if (options.allowIssuer !== undefined) {
    fields.allowedIssuerIds = await Promise.all(
      options.allowIssuer.map(async (name) => (await findIssuer(store, name)).id),
    );
  }
  if (options.anyIssuer === true) fields.allowedIssuerIds = [];
  return fields;
}

function renderRealm(realm: RealmRecord, names: ReadonlyMap<string, string>): string {
  return `${[
    `Realm:           ${realm.realmUri}`,
    `ID:              ${realm.id}`,
    `Reply URL:       ${realm.replyUrl}`,
    `Home realm:      ${realm.homeRealm ?? '(none: users choose)'}`,
    `Allowed issuers: ${realm.allowedIssuerIds.length === 0 ? 'any' : realm.allowedIssuerIds.map((id) => names.get(id) ?? id).join(', ')}`,
    `Updated:         ${formatInstant(realm.updatedAt)}`,
  ].join('\n')}\n`;
}

async function runAdd(
  io: CliIo,
  realmUri: string,
  options: RealmFieldOptions & { replyUrl: string },
): Promise<number> {
  return withStore(io, options.db, async (store) => {
    const fields = await realmFieldsFrom(store, options);
    const realm = await store.createRealm({ ...fields, realmUri, replyUrl: options.replyUrl }, io.actor);
    const names = await issuerNamesById(store);
    io.stdout(
      options.json
        ? `${toJson(viewRealm(realm, names))}\n`
        : `Added realm ${realm.realmUri}, ID ${realm.id}.\n`,
    );
    return EXIT.ok;
  });
}

async function runList(io: CliIo, options: StoreOptions): Promise<number> {
  return withStore(io, options.db, async (store) => {
    const [realms, names] = await Promise.all([store.listRealms(), issuerNamesById(store)]);
    if (options.json) {
      io.stdout(`${toJson(realms.map((realm) => viewRealm(realm, names)))}\n`);
    } else if (realms.length === 0) {
      io.stdout('No realms. Add one with `claimsgate realms add <realm-uri> --reply-url <url>`.\n');
    } else {
      const rows = realms.map((realm) => [
        realm.id,
        realm.realmUri,
        realm.replyUrl,
        realm.homeRealm ?? '',
        realm.allowedIssuerIds.length === 0
          ? 'any'
          : realm.allowedIssuerIds.map((id) => names.get(id) ?? id).join(','),
      ]);
      io.stdout(`${renderTable(['ID', 'REALM', 'REPLY URL', 'HOME REALM', 'ALLOWED ISSUERS'], rows)}\n`);
    }
    return EXIT.ok;
  });
}

async function runShow(io: CliIo, target: string, options: StoreOptions): Promise<number> {
  return withStore(io, options.db, async (store) => {
    const [realm, names] = await Promise.all([findRealm(store, target), issuerNamesById(store)]);
    io.stdout(options.json ? `${toJson(viewRealm(realm, names))}\n` : renderRealm(realm, names));
    return EXIT.ok;
  });
}

async function runEdit(
  io: CliIo,
  command: Command,
  target: string,
  options: RealmFieldOptions,
): Promise<number> {
  if (options.replyUrl === null) usage(command, 'a realm needs a reply URL; it cannot be cleared');
  if (options.anyIssuer === true && options.allowIssuer !== undefined)
    usage(command, 'give --allow-issuer or --any-issuer, not both');
  return withStore(io, options.db, async (store) => {
    const realm = await findRealm(store, target);
    const patch = await realmFieldsFrom(store, options);
    if (Object.keys(patch).length === 0) usage(command, 'give at least one setting to change');
    const updated = await store.updateRealm(realm.id, patch, io.actor);
    const names = await issuerNamesById(store);
    io.stdout(
      options.json
        ? `${toJson(viewRealm(updated, names))}\n`
        : `Updated realm ${updated.realmUri}: ${Object.keys(patch).join(', ')}.\n`,
    );
    return EXIT.ok;
  });
}

async function runRemove(io: CliIo, target: string, options: StoreOptions): Promise<number> {
  return withStore(io, options.db, async (store) => {
    const realm = await findRealm(store, target);
    await store.deleteRealm(realm.id, io.actor);
    io.stdout(options.json ? `${toJson({ removed: realm })}\n` : `Removed realm ${realm.realmUri}.\n`);
    return EXIT.ok;
  });
}

/** `claimsgate realms …`: the relying-party realms and the issuers each accepts. */
export function registerRealmsCommand(program: Command, context: CliContext): void {
  const { io } = context;
  const realms = program
    .command('realms')
    .summary('list, show, add, edit and remove relying-party realms')
    .description(
      [
        'The realms (wtrealm, SAML audience, OIDC client ID) tokens are addressed to: where users return',
        '(the reply URL), the issuer to send them to without asking (home realm) and the issuers accepted.',
      ].join('\n'),
    );

  addStoreOptions(realms.command('add').summary('add a realm'), 'print the realm as JSON')
    .description('Add a realm.')
    .argument('<realm-uri>', 'the realm URI / audience')
    .requiredOption('--reply-url <url>', 'where users return after signing in', parseHttpUrl)
    .option('--home-realm <issuer>', 'send users to this issuer without asking')
    .option(
      '--allow-issuer <issuer>',
      'accept tokens from this issuer (repeatable; default every issuer)',
      collect,
    )
    .addHelpText(
      'after',
      storeExamples(
        'claimsgate realms add https://app.example.com/ --reply-url https://app.example.com/signin --home-realm contoso-aad',
      ),
    )
    .action(async (realmUri: string, options: RealmFieldOptions & { replyUrl: string }) => {
      await runAction(context, options.json, () => runAdd(io, realmUri, options));
    });

  addStoreOptions(realms.command('list').summary('list the realms'), 'print the realms as JSON')
    .description('List the realms.')
    .addHelpText('after', storeExamples('claimsgate realms list --json'))
    .action(async (options: StoreOptions) => {
      await runAction(context, options.json, () => runList(io, options));
    });

  addStoreOptions(realms.command('show').summary('show a realm'), 'print the realm as JSON')
    .description('Show one realm.')
    .argument('<realm>', 'the realm URI or ID')
    .addHelpText('after', storeExamples('claimsgate realms show https://app.example.com/'))
    .action(async (target: string, options: StoreOptions) => {
      await runAction(context, options.json, () => runShow(io, target, options));
    });

  addStoreOptions(
    realms.command('edit').summary("change a realm's settings"),
    'print the updated realm as JSON',
  )
    .description('Change the given settings of a realm; the others stay as they are.')
    .argument('<realm>', 'the realm URI or ID')
    .option('--realm-uri <uri>', 'a new realm URI')
    .option('--reply-url <url>', 'a new reply URL', parseClearableUrl)
    .option('--home-realm <issuer>', 'send users to this issuer without asking ("" to let them choose)')
    .option('--allow-issuer <issuer>', 'the issuers accepted (repeatable; replaces the list)', collect)
    .option('--any-issuer', 'accept every issuer')
    .addHelpText(
      'after',
      storeExamples(
        'claimsgate realms edit https://app.example.com/ --allow-issuer contoso-aad --allow-issuer corp-adfs',
      ),
    )
    .action(async (target: string, options: RealmFieldOptions, command: Command) => {
      await runAction(context, options.json, () => runEdit(io, command, target, options));
    });

  addStoreOptions(realms.command('remove').summary('remove a realm'), 'print the removed realm as JSON')
    .description('Remove a realm.')
    .argument('<realm>', 'the realm URI or ID')
    .addHelpText('after', storeExamples('claimsgate realms remove https://old.example.com/'))
    .action(async (target: string, options: StoreOptions) => {
      await runAction(context, options.json, () => runRemove(io, target, options));
    });
}
