import type { Command } from 'commander';
import { describeRealmUnlink, viewRealmUnlinks } from '../../management/views.js';
import type { RefreshResult } from '../../rollover/rollover-engine.js';
import { planIssuerRemoval } from '../../store/issuer-removal.js';
import { findLabelConflicts, type LabelConflict } from '../../store/label-conflicts.js';
import type { IssuerRecord } from '../../store/model.js';
import type { Store } from '../../store/store.js';
import { USABLE_KEY_STATES } from '../../tokens/trust-snapshot.js';
import { withEngine } from '../cli-engine.js';
import { confirmChange } from '../confirm-change.js';
import { withStore } from '../open-cli-store.js';
import { EXIT, formatInstant, renderTable, toJson, type CliIo } from '../output.js';
import { runAction, type CliContext } from '../run-action.js';
import { registerIssuersAddMany, runIssuersAddMany } from './issuers-add-many.js';
import { findIssuer } from '../store-lookups.js';
import { KEY_HEADER, describeLastRefresh, keyCells, viewKey } from '../store-views.js';
import { addIssuerFieldOptions, issuerFieldsFrom, type IssuerFieldOptions } from './issuer-fields.js';
import { runIssuersAdd, type IssuersAddOptions } from './issuers-add.js';
import { registerPendingChangeCommands } from './issuers-pending.js';
import { addStoreOptions, storeExamples, usage, type StoreOptions } from './store-options.js';

/** The issuers each issuer shares a label with (a store written before labels were unique), by name. */
function sharedWith(conflicts: readonly LabelConflict[], issuer: IssuerRecord): string[] {
  return conflicts
    .filter((conflict) => conflict.issuers.some((owner) => owner.id === issuer.id))
    .flatMap((conflict) =>
      conflict.issuers.filter((owner) => owner.id !== issuer.id).map((owner) => owner.name),
    );
}

/** The warning lines for labels several issuers share. */
function describeConflicts(conflicts: readonly LabelConflict[]): string[] {
  return conflicts.map(
    (conflict) =>
      `warning: issuers ${conflict.issuers.map((owner) => owner.name).join(', ')} share the label ${conflict.label}: their sign-ins are refused (CG_TRUST_LABEL_SHARED) until each has its own (claimsgate issuers edit <name> --label <new label>).`,
  );
}

async function runList(io: CliIo, options: StoreOptions): Promise<number> {
  return withStore(io, options.db, async (store) => {
    const [keys, issuers, mappings] = await Promise.all([
      store.listKeys(),
      store.listIssuers(),
      store.listClaimMappings(),
    ]);
    const conflicts = findLabelConflicts(issuers, mappings);
    const rows = await Promise.all(
      issuers.map(async (issuer) => ({
        issuer,
        usableKeys: keys.filter((key) => key.issuerId === issuer.id && USABLE_KEY_STATES.has(key.state))
          .length,
        refresh: await store.getRefreshState(issuer.id),
      })),
    );
    if (options.json) {
      io.stdout(
        `${toJson(
          rows.map(({ issuer, usableKeys, refresh }) => ({
            ...issuer,
            usableKeys,
            refresh: refresh ?? null,
            labelSharedWith: sharedWith(conflicts, issuer),
          })),
        )}\n`,
      );
      return EXIT.ok;
    }
    if (rows.length === 0) {
      io.stdout('No issuers. Add one with `claimsgate issuers add <name> --metadata-url <url>`.\n');
      return EXIT.ok;
    }
    const table = renderTable(
      ['NAME', 'ISSUER URI', 'PROTOCOLS', 'KEYS', 'METADATA URL', 'LAST REFRESH'],
      rows.map(({ issuer, usableKeys, refresh }) => [
        issuer.name,
        issuer.issuerUri,
        issuer.protocols.join(','),
        String(usableKeys),
        issuer.metadataUrl ?? '(manual)',
        issuer.metadataUrl === null ? '' : describeLastRefresh(refresh),
      ]),
    );
    io.stdout(`${[table, ...describeConflicts(conflicts)].join('\n')}\n`);
    return EXIT.ok;
  });
}

const DISCONTINUITY_TEXT: Readonly<Record<IssuerRecord['discontinuityPolicy'], string>> = {
  auto: 'auto (hold over plain http, accept with a critical alert over https)',
  hold: 'hold (wait for an administrator)',
  'accept-with-alert': 'accept-with-alert',
};

function describePolicy(issuer: IssuerRecord): string {
  const policy = issuer.signaturePolicy;
  return policy.mode === 'pinned' ? `pinned (${policy.pinnedSigners.join(', ')})` : policy.mode;
}

async function runShow(io: CliIo, name: string, options: StoreOptions): Promise<number> {
  return withStore(io, options.db, async (store) => {
    const issuer = await findIssuer(store, name);
    const [keys, refresh, every, allMappings, claimTypes, pending] = await Promise.all([
      store.listKeys(issuer.id),
      store.getRefreshState(issuer.id),
      store.listIssuers(),
      store.listClaimMappings(),
      store.getTokenClaimTypes(issuer.id),
      store.getPendingChange(issuer.id),
    ]);
    const lastTokenClaims =
      claimTypes === undefined ? null : { claimTypes: claimTypes.claimTypes, since: claimTypes.since };
    const mappings = allMappings.filter((mapping) => mapping.issuerId === issuer.id);
    const shared = sharedWith(findLabelConflicts(every, allMappings), issuer);
    const views = keys.map((key) => viewKey(key, issuer.name, io.now()));
    if (options.json) {
      io.stdout(
        `${toJson({
          issuer,
          keys: views,
          refresh: refresh ?? null,
          mappings,
          labelSharedWith: shared,
          lastTokenClaims,
          pendingChange: pending ?? null,
        })}\n`,
      );
      return EXIT.ok;
    }
    const lines = [
      `Name:             ${issuer.name}`,
      `ID:               ${issuer.id}`,
      `Issuer URI:       ${issuer.issuerUri}`,
      `Description:      ${issuer.description === '' ? '(none)' : issuer.description}`,
      `Label:            ${issuer.label}${shared.length === 0 ? '' : ` (SHARED with ${shared.join(', ')}: sign-ins refused until each issuer has its own label)`}`,
      `Protocols:        ${issuer.protocols.join(', ')}`,
      `Metadata URL:     ${issuer.metadataUrl ?? '(none: manual keys only)'}`,
      `Login URL:        ${issuer.loginUrl ?? '(none)'}${issuer.useForLogin ? '' : ' (not listed for login)'}`,
      `Signature policy: ${describePolicy(issuer)}`,
      `SHA-1 allowed:    ${issuer.allowSha1 ? 'yes' : 'no'}`,
      `SAML assertions:  ${issuer.requireSignedAssertion ? 'must be signed themselves' : 'signed themselves or inside a signed Response'}`,
      `Discontinuity:    ${DISCONTINUITY_TEXT[issuer.discontinuityPolicy]}`,
    ];
    if (issuer.allowedTenants.length > 0) lines.push(`Tenants:          ${issuer.allowedTenants.join(', ')}`);
    if (issuer.domains.length > 0) lines.push(`E-mail domains:   ${issuer.domains.join(', ')}`);
    lines.push(`Version:          ${issuer.version}, updated ${formatInstant(issuer.updatedAt)}`);
    if (issuer.metadataUrl !== null) {
      lines.push(
        `Refresh:          every ${issuer.refreshIntervalSeconds} s; last ${describeLastRefresh(refresh)}`,
      );
      if (refresh !== undefined && refresh.lastSuccessAt !== null)
        lines.push(`Last success:     ${formatInstant(refresh.lastSuccessAt)}`);
      if (refresh !== undefined && refresh.nextAttemptAt !== null)
        lines.push(`Next attempt:     ${formatInstant(refresh.nextAttemptAt)}`);
      if (refresh !== undefined && refresh.consecutiveFailures > 0) {
        lines.push(
          `Failures:         ${refresh.consecutiveFailures} in a row: ${refresh.lastErrorMessage ?? ''}`,
        );
      }
    }
    if (pending !== undefined) {
      lines.push(
        `Pending change:   ${pending.decision}, ${pending.reason}, detected ${formatInstant(pending.detectedAt)} (see \`claimsgate issuers pending ${issuer.name}\`)`,
      );
    }
    lines.push('', `Keys (${views.length}):`);
    if (views.length > 0) lines.push(renderTable(KEY_HEADER, views.map(keyCells)));
    lines.push('', `Claim mappings (${mappings.length}):`);
    if (mappings.length > 0) {
      lines.push(
        renderTable(
          ['ID', 'LABEL', 'NAME CLAIM', 'GROUP CLAIM'],
          mappings.map((mapping) => [mapping.id, mapping.label, mapping.nameClaim, mapping.groupClaim ?? '']),
        ),
      );
    }
    lines.push('');
    if (lastTokenClaims === null) {
      lines.push('Claim types of the last accepted token: (no token accepted yet)');
    } else {
      // SECURITY: types only; their values are never stored.
      lines.push(
        `Claim types of the last accepted token (${lastTokenClaims.claimTypes.length}, since ${formatInstant(lastTokenClaims.since)}):`,
        ...lastTokenClaims.claimTypes.map((type) => `  ${type}`),
      );
    }
    io.stdout(`${lines.join('\n')}\n`);
    return EXIT.ok;
  });
}

async function runEdit(
  io: CliIo,
  command: Command,
  name: string,
  options: IssuerFieldOptions & StoreOptions,
): Promise<number> {
  const patch = issuerFieldsFrom(command, options);
  const changed = Object.keys(patch);
  if (changed.length === 0) usage(command, 'give at least one setting to change');
  return withStore(io, options.db, async (store) => {
    const issuer = await findIssuer(store, name);
    const updated = await store.updateIssuer(issuer.id, patch, io.actor, issuer.version);
    io.stdout(
      options.json
        ? `${toJson(updated)}\n`
        : `Updated issuer ${updated.name} (version ${updated.version}): ${changed.join(', ')}.\n`,
    );
    return EXIT.ok;
  });
}

async function runRemove(io: CliIo, name: string, options: StoreOptions & { yes: boolean }): Promise<number> {
  return withStore(io, options.db, async (store) => {
    const issuer = await findIssuer(store, name);
    const [keys, mappings, realms, issuers] = await Promise.all([
      store.listKeys(issuer.id),
      store.listClaimMappings(issuer.id),
      store.listRealms(),
      store.listIssuers(),
    ]);
    const names = new Map(issuers.map((entry) => [entry.id, entry.name]));
    // Refused before asking (CG_STORE_REFERENCED) when a realm allows this issuer alone.
    const planned = viewRealmUnlinks(issuer, planIssuerRemoval(issuer, realms), realms, names);
    const question = [
      `Remove issuer "${issuer.name}" (${issuer.issuerUri}) with its ${keys.length} keys and ${mappings.length} claim mappings? Its tokens will be refused.`,
      ...planned.map((unlink) => `  ${describeRealmUnlink(unlink)}`),
    ].join('\n');
    if (!(await confirmChange(io, question, options.yes))) {
      io.stderr('Nothing was removed.\n');
      return EXIT.rejected;
    }
    const removal = await store.deleteIssuer(issuer.id, io.actor);
    const changed = viewRealmUnlinks(issuer, removal.realms, realms, names);
    io.stdout(
      options.json
        ? `${toJson({ removed: issuer, keys: keys.length, mappings: mappings.length, realms: changed })}\n`
        : `${[`Removed issuer ${issuer.name}.`, ...changed.map(describeRealmUnlink)].join('\n')}\n`,
    );
    return EXIT.ok;
  });
}

interface RefreshOptions extends StoreOptions {
  readonly all: boolean;
  readonly allowHttp: boolean;
}

async function refreshAll(
  io: CliIo,
  store: Store,
  issuers: readonly IssuerRecord[],
  allowHttp: boolean,
): Promise<Array<{ issuer: IssuerRecord; result: RefreshResult }>> {
  return withEngine(io, store, { allowHttp }, async (engine) => {
    if (issuers.length === 1) {
      const issuer = issuers[0]!;
      return [{ issuer, result: await engine.refreshIssuer(issuer.id, { force: true, reason: 'manual' }) }];
    }
    // All: 8 at a time (refreshAll); the output follows the list, an issuer without a metadata URL skipped.
    const byId = new Map((await engine.refreshAll()).map((result) => [result.issuerId, result]));
    return issuers.map((issuer) => ({
      issuer,
      result: byId.get(issuer.id) ?? { issuerId: issuer.id, outcome: 'skipped' as const, alerts: [] },
    }));
  });
}

async function runRefresh(
  io: CliIo,
  command: Command,
  name: string | undefined,
  options: RefreshOptions,
): Promise<number> {
  if ((name === undefined) === !options.all) usage(command, 'give an issuer name, or --all (not both)');
  return withStore(io, options.db, async (store) => {
    const issuers = name === undefined ? await store.listIssuers() : [await findIssuer(store, name)];
    const results = await refreshAll(io, store, issuers, options.allowHttp);
    if (options.json) {
      io.stdout(
        `${toJson(
          results.map(({ issuer, result }) => ({
            issuer: issuer.name,
            issuerId: issuer.id,
            outcome: result.outcome,
            code: result.code ?? null,
            alerts: result.alerts,
          })),
        )}\n`,
      );
    } else {
      const lines = [
        renderTable(
          ['ISSUER', 'OUTCOME', 'CODE'],
          results.map(({ issuer, result }) => [issuer.name, result.outcome, result.code ?? '']),
        ),
      ];
      for (const { issuer, result } of results) {
        for (const alert of result.alerts)
          lines.push(`${issuer.name}: ${alert.severity} ${alert.kind}: ${alert.message}`);
      }
      io.stdout(`${lines.join('\n')}\n`);
    }
    return results.some(({ result }) => result.outcome === 'failure') ? EXIT.rejected : EXIT.ok;
  });
}

/** `claimsgate issuers …`: the issuers table, over the store. */
export function registerIssuersCommand(program: Command, context: CliContext): void {
  const { io } = context;
  const issuers = program
    .command('issuers')
    .summary('list, show, add, edit, remove and refresh the issuers trusted')
    .description(
      [
        'The issuers (identity providers) claimsgate trusts, kept in the database given by --db or',
        'CLAIMSGATE_DATABASE_URL (default ./data/claimsgate.db). An issuer with a metadata URL has its',
        'signing keys followed by itself; every change is written to the audit log.',
      ].join('\n'),
    );

  addStoreOptions(
    issuers.command('list').summary('list the issuers with their keys and last refresh'),
    'print the issuers as JSON',
  )
    .description('List the issuers: URI, protocols, usable keys, metadata URL and the last refresh.')
    .addHelpText(
      'after',
      storeExamples(
        'claimsgate issuers list',
        'claimsgate issuers list --db postgres://cg@db/claimsgate --json',
      ),
    )
    .action(async (options: StoreOptions) => {
      await runAction(context, options.json, () => runList(io, options));
    });

  addStoreOptions(
    issuers.command('show').summary('show an issuer, its keys, refresh state and mappings'),
    'print the issuer, its keys, refresh state and mappings as JSON',
  )
    .description(
      'Show one issuer: its settings, every key with state and expiry, its refresh state and claim mappings.',
    )
    .argument('<name>', 'the issuer name or ID')
    .addHelpText('after', storeExamples('claimsgate issuers show contoso-aad'))
    .action(async (name: string, options: StoreOptions) => {
      await runAction(context, options.json, () => runShow(io, name, options));
    });

  const add = issuers
    .command('add')
    .summary('add an issuer, from its metadata or by hand')
    .description(
      [
        'Add an issuer. With --metadata-url the metadata is fetched, parsed and its signature checked under',
        'the signature policy; what will be stored is shown (issuer URI, endpoints, each signing key with its',
        'thumbprint, validity, days left and the state it is stored in: trusted, or expired and never trusted)',
        'and confirmed (or --yes); then the issuer is created with exactly those keys in one transaction: it',
        'exists with its keys, or nothing is stored. Metadata whose every key has expired is refused',
        '(CG_META_SIGNING_KEYS_EXPIRED). The issuer URI, login URL and protocols default to what the metadata says.',
        'Without --metadata-url, --issuer-uri is required and the keys are added with `claimsgate keys add`.',
      ].join('\n'),
    )
    .argument('<name>', 'a short unique name (contoso-aad)');
  addIssuerFieldOptions(add, false)
    .option('--allow-http', 'allow a plain http:// metadata URL to a non-loopback host', false)
    .option('--yes', 'trust what the metadata publishes without asking', false);
  addStoreOptions(add, 'print the issuer, the refresh outcome and the keys stored as JSON')
    .addHelpText(
      'after',
      storeExamples(
        'claimsgate issuers add contoso-aad \\',
        '  --metadata-url https://login.microsoftonline.com/<tenant>/federationmetadata/2007-06/federationmetadata.xml',
        'claimsgate issuers add corp-adfs --metadata-url https://adfs.corp.example/FederationMetadata/2007-06/FederationMetadata.xml \\',
        '  --label CORP --signature-policy pinned --pin-signer <thumbprint> --yes',
        'claimsgate issuers add legacy --issuer-uri https://sts.windows.net/<tenant>/ --allow-sha1',
      ),
    )
    .action(async (name: string, options: IssuersAddOptions, command: Command) => {
      await runAction(context, options.json, () =>
        runIssuersAdd(io, command, name, issuerFieldsFrom(command, options), options),
      );
    });

  registerIssuersAddMany(
    issuers,
    async (file, options) => {
      await runAction(context, options.json, () => runIssuersAddMany(io, file, options));
    },
    addStoreOptions,
    storeExamples,
  );

  const edit = issuers
    .command('edit')
    .summary("change an issuer's settings")
    .description('Change the given settings of an issuer; the others stay as they are.')
    .argument('<name>', 'the issuer name or ID');
  addStoreOptions(addIssuerFieldOptions(edit, true), 'print the updated issuer as JSON')
    .addHelpText(
      'after',
      storeExamples(
        'claimsgate issuers edit contoso-aad --label K2AAD --refresh-interval 900',
        'claimsgate issuers edit legacy --no-allow-sha1',
        'claimsgate issuers edit aad-common --tenant <tenant-id> --tenant <another>',
        'claimsgate issuers edit aad-common --no-tenant',
        'claimsgate issuers edit corp-adfs --on-discontinuity hold',
      ),
    )
    .action(async (name: string, options: IssuerFieldOptions & StoreOptions, command: Command) => {
      await runAction(context, options.json, () => runEdit(io, command, name, options));
    });

  addStoreOptions(
    issuers.command('remove').summary('remove an issuer and its keys'),
    'print what was removed as JSON',
  )
    .description(
      [
        'Remove an issuer with its keys, claim mappings and refresh state (the audit log keeps its history).',
        'In the same transaction, the realms that name it stop naming it: a home realm naming it is cleared,',
        'and it leaves their allowed issuers; the question and the output list each realm changed. A realm',
        'that allows this issuer alone refuses the removal (CG_STORE_REFERENCED): without it, the realm would',
        'allow every issuer. Allow another issuer on it (realms edit --allow-issuer) or remove it first.',
      ].join('\n'),
    )
    .argument('<name>', 'the issuer name or ID')
    .option('--yes', 'remove without asking', false)
    .addHelpText('after', storeExamples('claimsgate issuers remove old-adfs --yes'))
    .action(async (name: string, options: StoreOptions & { yes: boolean }) => {
      await runAction(context, options.json, () => runRemove(io, name, options));
    });

  registerPendingChangeCommands(issuers, context);

  addStoreOptions(
    issuers.command('refresh').summary('fetch the metadata of an issuer (or all) now'),
    'print the outcome per issuer as JSON',
  )
    .description(
      [
        'Fetch the metadata of one issuer (or --all) now, as the rollover engine does on its schedule: new keys',
        'are added, keys that left the metadata start retiring (at once if they never signed a token), a failure',
        'keeps the last-known-good keys, and a document replacing every key without continuity is held for',
        'approval (CG_META_KEYS_DISCONTINUOUS) or applied with a critical alert, per --on-discontinuity.',
        'Prints the outcome, the error code of a failure and the alerts raised; exit 1 if any refresh failed.',
      ].join('\n'),
    )
    .argument('[name]', 'the issuer name or ID')
    .option('--all', 'refresh every issuer with a metadata URL, 8 at a time', false)
    .option('--allow-http', 'allow a plain http:// metadata URL to a non-loopback host', false)
    .addHelpText(
      'after',
      storeExamples('claimsgate issuers refresh contoso-aad', 'claimsgate issuers refresh --all --json'),
    )
    .action(async (name: string | undefined, options: RefreshOptions, command: Command) => {
      await runAction(context, options.json, () => runRefresh(io, command, name, options));
    });
}
