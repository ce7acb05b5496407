import { InvalidArgumentError, type Command } from 'commander';
import { viewPendingChange } from '../../management/views.js';
import type { PendingChangeView, PendingKeyView } from '../../management/service.js';
import { DISCONTINUITY_REASON_TEXT } from '../../rollover/plan-continuity.js';
import { stalePendingChangeError } from '../../store/pending-changes.js';
import { notFoundError } from '../../store/store-errors.js';
import type { IssuerRecord } from '../../store/model.js';
import type { Store } from '../../store/store.js';
import { withEngine } from '../cli-engine.js';
import { confirmChange } from '../confirm-change.js';
import { withStore } from '../open-cli-store.js';
import { EXIT, renderTable, toJson, type CliIo } from '../output.js';
import { runAction, type CliContext } from '../run-action.js';
import { findIssuer } from '../store-lookups.js';
import { addStoreOptions, storeExamples, type StoreOptions } from './store-options.js';

function keyRows(keys: readonly PendingKeyView[]): string[][] {
  return keys.map((key) => [
    key.sha1 ?? key.sha256 ?? `kid ${key.kid ?? '?'}`,
    key.subject ?? '',
    key.notAfter ?? '',
  ]);
}

/** The diff of a pending change, for a person. */
function describePendingChange(issuer: IssuerRecord, change: PendingChangeView): string {
  const decided =
    change.decision === 'pending'
      ? 'pending: waiting for an administrator'
      : `${change.decision} by ${change.decidedBy ?? '?'} at ${change.decidedAt ?? '?'}`;
  const lines = [
    `Issuer ${issuer.name}: the metadata replaces its keys without continuity.`,
    `Why:       ${DISCONTINUITY_REASON_TEXT[change.reason]} (${change.reason})`,
    `Decision:  ${decided}`,
    `URL:       ${change.url}`,
    `Detected:  ${change.detectedAt}`,
    `SHA-256:   ${change.sha256}`,
    `Signed by: ${change.signerSha1 ?? '(not validly signed)'}`,
    '',
    `Keys added (${change.added.length}):`,
  ];
  if (change.added.length > 0) lines.push(renderTable(['KEY', 'SUBJECT', 'EXPIRES'], keyRows(change.added)));
  lines.push('', `Keys removed (${change.removed.length}), retired at once on approval:`);
  if (change.removed.length > 0)
    lines.push(renderTable(['KEY', 'SUBJECT', 'EXPIRES'], keyRows(change.removed)));
  return `${lines.join('\n')}\n`;
}

async function loadPendingChange(store: Store, issuer: IssuerRecord): Promise<PendingChangeView | undefined> {
  const [change, keys] = await Promise.all([store.getPendingChange(issuer.id), store.listKeys(issuer.id)]);
  return change === undefined ? undefined : viewPendingChange(change, keys);
}

async function runPending(io: CliIo, name: string, options: StoreOptions): Promise<number> {
  return withStore(io, options.db, async (store) => {
    const issuer = await findIssuer(store, name);
    const change = await loadPendingChange(store, issuer);
    if (options.json) {
      io.stdout(`${toJson(change ?? null)}\n`);
    } else if (change === undefined) {
      io.stdout(`Issuer ${issuer.name} has no pending change.\n`);
    } else {
      io.stdout(describePendingChange(issuer, change));
    }
    return EXIT.ok;
  });
}

interface DecideOptions extends StoreOptions {
  readonly yes: boolean;
  readonly sha256?: string;
  readonly allowHttp?: boolean;
}

async function runDecide(
  io: CliIo,
  decision: 'approve' | 'reject',
  name: string,
  options: DecideOptions,
): Promise<number> {
  return withStore(io, options.db, async (store) => {
    const issuer = await findIssuer(store, name);
    const change = await loadPendingChange(store, issuer);
    if (change === undefined) throw notFoundError('pending change', issuer.name, 'issuer');
    // SECURITY: --sha256 pins the document reviewed (say, in a ticket); a newer one is refused before asking.
    const reviewed = options.sha256?.trim().toLowerCase();
    if (reviewed !== undefined && reviewed !== change.sha256)
      throw stalePendingChangeError(issuer.name, reviewed, change.sha256);
    const preview = options.json ? describePendingChange(issuer, change) : '';
    if (!options.json) io.stdout(describePendingChange(issuer, change));
    const question =
      decision === 'approve'
        ? `Approve this change? Issuer ${issuer.name} will trust ${change.added.length} new key(s) and retire ${change.removed.length} at once.`
        : `Reject this change? Issuer ${issuer.name} keeps its keys; this document raises no new alert.`;
    if (!(await confirmChange(io, question, options.yes, preview))) {
      io.stderr('Nothing was changed.\n');
      return EXIT.rejected;
    }
    return withEngine(io, store, { allowHttp: options.allowHttp ?? false }, async (engine) => {
      if (decision === 'reject') {
        const rejected = await engine.rejectPendingChange(issuer.id, change.sha256, io.actor);
        io.stdout(
          options.json
            ? `${toJson(viewPendingChange(rejected, await store.listKeys(issuer.id)))}\n`
            : `Rejected the pending change of ${issuer.name}.\n`,
        );
        return EXIT.ok;
      }
      const result = await engine.approvePendingChange(issuer.id, change.sha256, io.actor);
      if (options.json) {
        io.stdout(
          `${toJson({ issuer: issuer.name, outcome: result.outcome, code: result.code ?? null, alerts: result.alerts })}\n`,
        );
      } else {
        io.stdout(
          result.outcome === 'failure'
            ? `Approved; the refresh that followed failed (${result.code ?? '?'}): the metadata changed again. Review it with \`claimsgate issuers pending ${issuer.name}\`.\n`
            : `Approved and applied the pending change of ${issuer.name} (${result.outcome}).\n`,
        );
      }
      return result.outcome === 'failure' ? EXIT.rejected : EXIT.ok;
    });
  });
}

/** Reads `--sha256`: 64 hexadecimal digits. */
function parseSha256(value: string): string {
  if (!/^[0-9a-fA-F]{64}$/.test(value.trim()))
    throw new InvalidArgumentError(`--sha256 must be the 64 hexadecimal digits of a SHA-256, not "${value}"`);
  return value.trim().toLowerCase();
}

/** `claimsgate issuers pending|approve|reject`: documents held for lack of key continuity. */
export function registerPendingChangeCommands(issuers: Command, context: CliContext): void {
  const { io } = context;
  addStoreOptions(
    issuers.command('pending').summary('show the change of keys an issuer holds for approval'),
    'print the pending change (or null) as JSON',
  )
    .description(
      [
        'Show the metadata document a refresh held because it replaces the issuer’s keys without continuity',
        '(not signed by a key trusted now and sharing none of its keys, or unsigned where the issuer used to',
        'sign): why, where it came from, its SHA-256 and signer, and the keys approving it would add and retire.',
        'Sign-ins keep the keys trusted now until it is approved.',
      ].join('\n'),
    )
    .argument('<name>', 'the issuer name or ID')
    .addHelpText('after', storeExamples('claimsgate issuers pending contoso-aad'))
    .action(async (name: string, options: StoreOptions) => {
      await runAction(context, options.json, () => runPending(io, name, options));
    });

  for (const decision of ['approve', 'reject'] as const) {
    const command = issuers
      .command(decision)
      .summary(
        decision === 'approve'
          ? 'approve the change of keys an issuer holds, and apply it'
          : 'reject the change of keys an issuer holds',
      )
      .description(
        decision === 'approve'
          ? [
              'Approve the issuer’s pending change (see `issuers pending`) after showing it, then refresh the',
              'issuer: the very document approved is applied, its new keys trusted and the keys it removes retired',
              'at once. If the endpoint serves another document meanwhile, that one is judged afresh.',
            ].join('\n')
          : [
              'Reject the issuer’s pending change (see `issuers pending`) after showing it: the issuer keeps its',
              'keys, and the same document raises no new alert (another document is judged afresh).',
            ].join('\n'),
      )
      .argument('<name>', 'the issuer name or ID')
      .option(
        '--sha256 <hex>',
        'the SHA-256 of the document reviewed: refuse if another one is pending now',
        parseSha256,
      )
      .option('--yes', `${decision} without asking`, false);
    if (decision === 'approve')
      command.option('--allow-http', 'allow a plain http:// metadata URL to a non-loopback host', false);
    addStoreOptions(command, 'print the outcome as JSON')
      .addHelpText(
        'after',
        storeExamples(
          `claimsgate issuers ${decision} contoso-aad`,
          `claimsgate issuers ${decision} contoso-aad --sha256 <sha256 from issuers pending> --yes`,
        ),
      )
      .action(async (name: string, options: DecideOptions) => {
        await runAction(context, options.json, () => runDecide(io, decision, name, options));
      });
  }
}
