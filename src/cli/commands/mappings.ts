import type { Command } from 'commander';
import type { ClaimMappingRecord, NewClaimMapping } from '../../store/model.js';
import { withStore } from '../open-cli-store.js';
import { EXIT, renderTable, toJson, type CliIo } from '../output.js';
import { runAction, type CliContext } from '../run-action.js';
import { findClaimMapping, findIssuer, issuerNamesById } from '../store-lookups.js';
import { addStoreOptions, storeExamples, usage, type StoreOptions } from './store-options.js';

interface MappingFieldOptions extends StoreOptions {
  readonly issuer?: string;
  readonly label?: string;
  readonly nameClaim?: string;
  readonly groupClaim?: string;
}

interface AddOptions extends MappingFieldOptions {
  readonly issuer: string;
  readonly label: string;
  readonly nameClaim: string;
}

function viewMapping(
  mapping: ClaimMappingRecord,
  names: ReadonlyMap<string, string>,
): Record<string, unknown> {
  return { ...mapping, issuer: names.get(mapping.issuerId) ?? mapping.issuerId };
}

async function runAdd(io: CliIo, options: AddOptions): Promise<number> {
  return withStore(io, options.db, async (store) => {
    const issuer = await findIssuer(store, options.issuer);
    const mapping = await store.createClaimMapping(
      {
        issuerId: issuer.id,
        label: options.label,
        nameClaim: options.nameClaim,
        ...(options.groupClaim === undefined ? {} : { groupClaim: options.groupClaim }),
      },
      io.actor,
    );
    io.stdout(
      options.json
        ? `${toJson({ ...mapping, issuer: issuer.name })}\n`
        : `Added claim mapping ${mapping.id}: ${issuer.name} → ${mapping.label}:<${mapping.nameClaim}>.\n`,
    );
    return EXIT.ok;
  });
}

async function runList(io: CliIo, options: MappingFieldOptions): Promise<number> {
  return withStore(io, options.db, async (store) => {
    const issuerId = options.issuer === undefined ? undefined : (await findIssuer(store, options.issuer)).id;
    const [mappings, names] = await Promise.all([store.listClaimMappings(issuerId), issuerNamesById(store)]);
    if (options.json) {
      io.stdout(`${toJson(mappings.map((mapping) => viewMapping(mapping, names)))}\n`);
    } else if (mappings.length === 0) {
      io.stdout('No claim mappings.\n');
    } else {
      const rows = mappings.map((mapping) => [
        mapping.id,
        names.get(mapping.issuerId) ?? mapping.issuerId,
        mapping.label,
        mapping.nameClaim,
        mapping.groupClaim ?? '',
      ]);
      io.stdout(`${renderTable(['ID', 'ISSUER', 'LABEL', 'NAME CLAIM', 'GROUP CLAIM'], rows)}\n`);
    }
    return EXIT.ok;
  });
}

async function runEdit(
  io: CliIo,
  command: Command,
  id: string,
  options: MappingFieldOptions,
): Promise<number> {
  return withStore(io, options.db, async (store) => {
    const mapping = await findClaimMapping(store, id);
    const patch: { -readonly [K in keyof NewClaimMapping]?: NewClaimMapping[K] } = {};
    if (options.issuer !== undefined) patch.issuerId = (await findIssuer(store, options.issuer)).id;
    if (options.label !== undefined) patch.label = options.label;
    if (options.nameClaim !== undefined) patch.nameClaim = options.nameClaim;
    if (options.groupClaim !== undefined)
      patch.groupClaim = options.groupClaim === '' ? null : options.groupClaim;
    if (Object.keys(patch).length === 0) usage(command, 'give at least one setting to change');
    const updated = await store.updateClaimMapping(mapping.id, patch, io.actor);
    const names = await issuerNamesById(store);
    io.stdout(
      options.json
        ? `${toJson(viewMapping(updated, names))}\n`
        : `Updated claim mapping ${updated.id}: ${Object.keys(patch).join(', ')}.\n`,
    );
    return EXIT.ok;
  });
}

async function runRemove(io: CliIo, id: string, options: StoreOptions): Promise<number> {
  return withStore(io, options.db, async (store) => {
    const mapping = await findClaimMapping(store, id);
    await store.deleteClaimMapping(mapping.id, io.actor);
    io.stdout(options.json ? `${toJson({ removed: mapping })}\n` : `Removed claim mapping ${mapping.id}.\n`);
    return EXIT.ok;
  });
}

/** `claimsgate mappings …`: how each issuer's claims become an identity. */
export function registerMappingsCommand(program: Command, context: CliContext): void {
  const { io } = context;
  const mappings = program
    .command('mappings')
    .summary("list, add, edit and remove claim mappings (an issuer's claims → label:name)")
    .description(
      [
        "How an issuer's claims become an identity: the label and the value of the name claim",
        '(K2AAD:bob@contoso.com), with an optional claim carrying group membership.',
      ].join('\n'),
    );

  addStoreOptions(mappings.command('add').summary('add a claim mapping'), 'print the mapping as JSON')
    .description('Add a claim mapping to an issuer.')
    .requiredOption('--issuer <name>', 'the issuer name or ID')
    .requiredOption('--label <label>', 'the identity prefix (K2AAD)')
    .requiredOption('--name-claim <type>', 'the claim type whose value names the user')
    .option('--group-claim <type>', 'the claim type carrying group membership')
    .addHelpText(
      'after',
      storeExamples(
        'claimsgate mappings add --issuer contoso-aad --label K2AAD \\',
        '  --name-claim http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
      ),
    )
    .action(async (options: AddOptions) => {
      await runAction(context, options.json, () => runAdd(io, options));
    });

  addStoreOptions(mappings.command('list').summary('list the claim mappings'), 'print the mappings as JSON')
    .description('List the claim mappings.')
    .option('--issuer <name>', 'only the mappings of this issuer')
    .addHelpText('after', storeExamples('claimsgate mappings list --issuer contoso-aad'))
    .action(async (options: MappingFieldOptions) => {
      await runAction(context, options.json, () => runList(io, options));
    });

  addStoreOptions(
    mappings.command('edit').summary('change a claim mapping'),
    'print the updated mapping as JSON',
  )
    .description('Change the given fields of a claim mapping.')
    .argument('<id>', 'the mapping ID')
    .option('--issuer <name>', 'move it to this issuer')
    .option('--label <label>', 'the identity prefix')
    .option('--name-claim <type>', 'the claim type whose value names the user')
    .option('--group-claim <type>', 'the claim type carrying group membership ("" clears it)')
    .addHelpText('after', storeExamples('claimsgate mappings edit <id> --label CONTOSO'))
    .action(async (id: string, options: MappingFieldOptions, command: Command) => {
      await runAction(context, options.json, () => runEdit(io, command, id, options));
    });

  addStoreOptions(
    mappings.command('remove').summary('remove a claim mapping'),
    'print the removed mapping as JSON',
  )
    .description('Remove a claim mapping.')
    .argument('<id>', 'the mapping ID')
    .addHelpText('after', storeExamples('claimsgate mappings remove <id>'))
    .action(async (id: string, options: StoreOptions) => {
      await runAction(context, options.json, () => runRemove(io, id, options));
    });
}
