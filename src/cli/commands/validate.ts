import { InvalidArgumentError, type Command } from 'commander';
import { createTokenValidator } from '../../tokens/create-token-validator.js';
import type { VerifiedIdentity } from '../../tokens/identity.js';
import { buildTrust } from '../build-trust.js';
import { withEngine } from '../cli-engine.js';
import { withStore } from '../open-cli-store.js';
import { toJson, type CliIo } from '../output.js';
import { readSource } from '../read-source.js';
import { runAction, type CliContext } from '../run-action.js';
import { collect, parseInstant } from './metadata.js';

interface ValidateOptions {
  readonly metadata?: string[];
  readonly thumbprint?: string[];
  readonly certificate?: string[];
  readonly issuer?: string;
  readonly tenant?: string[];
  readonly audience: string[];
  readonly recipient?: string;
  readonly destination?: string;
  readonly inResponseTo?: string;
  readonly now?: Date;
  readonly clockSkew?: number;
  readonly allowSha1: boolean;
  readonly allowHttp: boolean;
  readonly json: boolean;
  /** `true` for a bare `--db` (the location from the environment or the default). */
  readonly db?: string | true;
}

function renderIdentity(identity: VerifiedIdentity): string {
  const lines = [
    `VALID ${identity.kind} token`,
    `Issuer:      ${identity.issuer}${identity.trustedIssuer === identity.issuer ? '' : ` (trusted as ${identity.trustedIssuer})`}`,
    `Subject:     ${identity.subject ?? '(none)'}${identity.subjectFormat === undefined ? '' : ` [${identity.subjectFormat}]`}`,
    `Token ID:    ${identity.tokenId ?? '(none)'}`,
    `Valid:       ${identity.notBefore?.toISOString() ?? '…'} → ${identity.notOnOrAfter?.toISOString() ?? '…'}`,
    `Audiences:   ${identity.audiences.join(', ')}`,
    `Signed by:   SHA-1 ${identity.signingKey.sha1 ?? '?'}${identity.signingKey.kid === undefined ? '' : `, kid ${identity.signingKey.kid}`}`,
    `             SHA-256 ${identity.signingKey.sha256 ?? '?'}`,
    'Claims:',
    ...Object.entries(identity.claims).flatMap(([type, values]) =>
      values.map((value) => `  ${type}: ${value}`),
    ),
  ];
  return `${lines.join('\n')}\n`;
}

/** The validator's settings that do not depend on where trust comes from. */
function validatorSettings(io: CliIo, options: ValidateOptions) {
  return {
    audiences: options.audience,
    ...(options.clockSkew === undefined ? {} : { clockSkewSeconds: options.clockSkew }),
    ...(options.recipient === undefined ? {} : { recipient: options.recipient }),
    ...(options.destination === undefined ? {} : { destination: options.destination }),
    now: () => options.now ?? io.now(),
    replayCache: false as const,
  };
}

function callOptions(options: ValidateOptions): { inResponseTo?: string } {
  return options.inResponseTo === undefined ? {} : { inResponseTo: options.inResponseTo };
}

function printIdentity(io: CliIo, identity: VerifiedIdentity, options: ValidateOptions): number {
  io.stdout(options.json ? `${toJson(identity)}\n` : renderIdentity(identity));
  return 0;
}

async function runValidate(io: CliIo, source: string, options: ValidateOptions): Promise<number> {
  const trust = await buildTrust(io, {
    metadata: options.metadata ?? [],
    thumbprint: options.thumbprint ?? [],
    certificate: options.certificate ?? [],
    issuer: options.issuer,
    allowSha1: options.allowSha1,
    allowHttp: options.allowHttp,
    tenant: options.tenant ?? [],
  });
  const { bytes } = await readSource(source, io, { allowHttp: false });
  const validator = createTokenValidator({ trust, ...validatorSettings(io, options) });
  return printIdentity(io, await validator.validate(bytes, callOptions(options)), options);
}

/**
 * Validates against the trust in the store, as the gateway does: an unknown
 * key refreshes the token's issuer (one fetch per issuer per spacing window) and the
 * token is retried once; an accepted token's key is recorded as used.
 */
async function runValidateWithStore(io: CliIo, source: string, options: ValidateOptions): Promise<number> {
  const { bytes } = await readSource(source, io, { allowHttp: false });
  const db = options.db === true ? undefined : options.db;
  return withStore(io, db, (store) =>
    withEngine(io, store, { allowHttp: options.allowHttp }, async (engine) => {
      await engine.reload();
      const validator = createTokenValidator({
        trust: () => engine.snapshot(),
        onUnknownKey: (event) => engine.onUnknownKey(event),
        ...validatorSettings(io, options),
      });
      const identity = await validator.validate(bytes, callOptions(options));
      await engine.recordKeyUse(identity);
      return printIdentity(io, identity, options);
    }),
  );
}

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 3600) {
    throw new InvalidArgumentError(`"${value}" is not a whole number of seconds between 0 and 3600`);
  }
  return seconds;
}

/** `claimsgate validate`: the key mapping, on one token, with the reason when it fails. */
export function registerValidateCommand(program: Command, context: CliContext): void {
  program
    .command('validate')
    .summary('validate a WS-Fed, SAML or JWT token against metadata or thumbprints')
    .description(
      [
        'Validate one token: a raw wresult (WS-Federation RSTR), a SAML 2.0 Response (XML or base64), a bare',
        'SAML 2.0 or 1.1 assertion, or a JWT — detected automatically. Trust comes from issuer metadata',
        '(--metadata, each trusted for its own entityID), from --thumbprint / --certificate for --issuer, or',
        'from the database (--db: the issuers and keys the rollover engine keeps, with its unknown-key refresh).',
        'On success the identity is printed (exit 0); otherwise the coded error with its detail and hint',
        '(exit 1) — for an unknown key: the token thumbprint, the issuer and the thumbprints trusted for it.',
      ].join('\n'),
    )
    .argument('<token>', 'token file, or - for standard input')
    .option('--metadata <url|file>', 'trust the signing keys this metadata publishes (repeatable)', collect)
    .option(
      '--thumbprint <value>',
      'trust this SHA-1 or SHA-256 thumbprint for --issuer (repeatable)',
      collect,
    )
    .option(
      '--certificate <file>',
      'trust this certificate (PEM, base64 or DER) for --issuer (repeatable)',
      collect,
    )
    .option('--issuer <uri>', 'the issuer URI that --thumbprint and --certificate are trusted for')
    .option('--tenant <id>', 'a tenant allowed under a {tenantid} issuer template (repeatable)', collect)
    .requiredOption('--audience <realm>', 'an accepted audience / realm (repeatable)', collect)
    .option('--recipient <url>', 'SAML 2.0: the assertion consumer URL bearer confirmations must name')
    .option('--destination <url>', "SAML 2.0: the URL a Response's Destination must name")
    .option('--in-response-to <id>', 'SAML 2.0: the AuthnRequest ID the response must answer')
    .option('--now <iso>', 'validate at this instant (for captured tokens)', parseInstant)
    .option('--clock-skew <seconds>', 'tolerated clock difference (default 300)', parseSeconds)
    .option('--allow-sha1', 'accept RSA-SHA1 signatures and SHA-1 digests from the issuer', false)
    .option('--allow-http', 'allow a plain http:// metadata URL to a non-loopback host', false)
    .option(
      '--db [url|path]',
      'trust the issuers and keys in the database (default: $CLAIMSGATE_DATABASE_URL, else ./data/claimsgate.db)',
    )
    .option('--json', 'print the identity (or the error) as JSON', false)
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  claimsgate validate wresult.xml --metadata https://login.microsoftonline.com/<tenant>/federationmetadata/2007-06/federationmetadata.xml \\',
        '    --audience https://app.example.com/',
        '  claimsgate validate response.b64 --thumbprint 3464C5BDD2BE7F2B6112E2F08E9C0024E33D9FE0 \\',
        '    --issuer https://sts.windows.net/<tenant>/ --audience spn:<app-id> --now 2013-04-02T18:50:24Z',
        '  claimsgate validate wresult.xml --db --audience https://app.example.com/',
        '',
        'Exit status: 0 valid, 1 rejected (coded error on stderr), 2 usage error.',
      ].join('\n'),
    )
    .action(async (source: string, options: ValidateOptions) => {
      if (options.db !== undefined) {
        const conflicting = [
          options.metadata === undefined ? undefined : '--metadata',
          options.thumbprint === undefined ? undefined : '--thumbprint',
          options.certificate === undefined ? undefined : '--certificate',
          options.issuer === undefined ? undefined : '--issuer',
          options.tenant === undefined ? undefined : '--tenant',
          options.allowSha1 ? '--allow-sha1' : undefined,
        ].filter((name) => name !== undefined);
        if (conflicting.length > 0) {
          program.error(
            `error: --db takes trust and issuer settings from the database; it cannot be combined with ${conflicting.join(', ')} (set them with \`claimsgate issuers edit\`)`,
            { exitCode: 2 },
          );
        }
        await runAction(context, options.json, () => runValidateWithStore(context.io, source, options));
        return;
      }
      if (
        (options.thumbprint !== undefined || options.certificate !== undefined) &&
        options.issuer === undefined
      ) {
        program.error('error: --thumbprint and --certificate need --issuer', { exitCode: 2 });
      }
      if (
        options.metadata === undefined &&
        options.thumbprint === undefined &&
        options.certificate === undefined
      ) {
        program.error('error: give --metadata, --thumbprint / --certificate with --issuer, or --db', {
          exitCode: 2,
        });
      }
      await runAction(context, options.json, () => runValidate(context.io, source, options));
    });
}
