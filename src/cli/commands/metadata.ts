import { InvalidArgumentError, type Command } from 'commander';
import { daysUntilExpiry } from '../../crypto/certificate.js';
import {
  enforceMetadataSignaturePolicy,
  type MetadataSignatureReport,
} from '../../metadata/check-metadata-signature.js';
import type { IssuerMetadata } from '../../metadata/model.js';
import { loadMetadata, type LoadedMetadata } from '../load-metadata.js';
import { formatDate, renderTable, toJson, type CliIo } from '../output.js';
import { runAction, type CliContext } from '../run-action.js';

interface MetadataOptions {
  readonly json: boolean;
  readonly allowHttp: boolean;
  readonly entityId?: string;
  readonly pinSigner: string[];
  readonly now?: Date;
}

const FORMAT_NAMES: Readonly<Record<IssuerMetadata['format'], string>> = {
  'wsfed-metadata': 'WS-Federation 2007-06 metadata',
  'saml-metadata': 'SAML 2.0 metadata',
  'oidc-discovery': 'OpenID Connect discovery document',
  jwks: 'JSON Web Key Set',
};

/** One line for the signature status. */
export function describeSignature(report: MetadataSignatureReport | undefined): string {
  if (report === undefined) return 'not applicable (JSON documents are not signed; trust comes from HTTPS)';
  switch (report.status) {
    case 'unsigned':
      return 'unsigned';
    case 'valid':
      return `valid, signed by ${report.signer.sha1} (${report.signer.subject})${
        report.signerIsAdvertisedKey
          ? ', one of the advertised signing keys'
          : ', NOT one of the advertised signing keys'
      }${report.usesSha1 ? '; uses SHA-1' : ''}`;
    case 'invalid':
      return `INVALID (${report.reason}): ${report.message}`;
  }
}

function renderMetadata(loaded: LoadedMetadata, now: Date): string {
  const { metadata } = loaded;
  const lines = [
    `Source:     ${loaded.origin}`,
    `Format:     ${FORMAT_NAMES[metadata.format]}`,
    `Issuer:     ${metadata.issuer ?? '(none)'}`,
  ];
  if (metadata.entityIds.length > 1) lines.push(`Entities:   ${metadata.entityIds.length} in the document`);
  for (const endpoint of metadata.endpoints) {
    const label = {
      'wsfed-passive': 'WS-Fed passive endpoint',
      'wsfed-sts': 'WS-Trust STS endpoint',
      'saml-sso': 'SAML SSO',
      'saml-slo': 'SAML SLO',
      'oidc-authorization': 'Authorization endpoint',
      'oidc-token': 'Token endpoint',
      'oidc-jwks': 'JWKS',
      'oidc-end-session': 'End-session endpoint',
    }[endpoint.kind];
    const binding =
      endpoint.binding === undefined ? '' : ` (${endpoint.binding.replace(/^.*bindings:/, '')})`;
    lines.push(`${label}: ${endpoint.url}${binding}`);
  }
  if (metadata.validUntil !== undefined) lines.push(`Valid until: ${metadata.validUntil.toISOString()}`);
  lines.push(`Signature:  ${describeSignature(loaded.signature)}`);
  lines.push('', `Signing keys (${metadata.signingKeys.length}):`);
  if (metadata.signingKeys.length > 0) {
    const rows = metadata.signingKeys.map((key) => {
      const certificate = key.certificate;
      const days = certificate === undefined ? '' : String(daysUntilExpiry(certificate, now));
      return [
        key.sha1 ?? '(no certificate)',
        key.kid ?? '',
        certificate === undefined
          ? ''
          : `${formatDate(certificate.notBefore)} → ${formatDate(certificate.notAfter)}`,
        days,
        certificate?.subject ?? '',
        key.sections.join(', '),
      ];
    });
    lines.push(
      renderTable(['SHA-1 THUMBPRINT', 'KID', 'VALIDITY', 'DAYS LEFT', 'SUBJECT', 'SECTIONS'], rows),
    );
  }
  if (metadata.encryptionKeys.length > 0) {
    lines.push('', `Encryption keys (${metadata.encryptionKeys.length}, never trusted for signatures):`);
    lines.push(
      ...metadata.encryptionKeys.map(
        (key) =>
          `  ${key.sha1 ?? key.kid ?? '?'}  ${key.certificate?.subject ?? ''}  [${key.sections.join(', ')}]`,
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

async function runMetadata(io: CliIo, source: string, options: MetadataOptions): Promise<number> {
  const loaded = await loadMetadata(io, source, { allowHttp: options.allowHttp, entityId: options.entityId });
  if (options.pinSigner.length > 0 && loaded.signature !== undefined) {
    enforceMetadataSignaturePolicy(
      loaded.signature,
      { mode: 'pinned', pinnedSigners: options.pinSigner },
      {
        url: loaded.origin,
        ...(loaded.metadata.issuer === undefined ? {} : { issuer: loaded.metadata.issuer }),
      },
    );
  }
  const now = options.now ?? io.now();
  if (options.json) {
    const { metadata } = loaded;
    io.stdout(
      `${toJson({
        source: loaded.origin,
        sha256: loaded.sha256,
        ...metadata,
        signingKeys: metadata.signingKeys.map((key) => ({
          ...key,
          certificate: key.certificate,
          daysLeft: key.certificate === undefined ? undefined : daysUntilExpiry(key.certificate, now),
        })),
        signature: loaded.signature ?? { status: 'not-applicable' },
      })}\n`,
    );
  } else {
    io.stdout(renderMetadata(loaded, now));
  }
  return 0;
}

/** Parses an ISO 8601 instant for --now. */
export function parseInstant(value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
    throw new InvalidArgumentError(`"${value}" is not an ISO 8601 date-time such as 2026-11-29T12:00:00Z`);
  }
  return date;
}

/** Collects a repeatable option. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `claimsgate metadata`: what an issuer publishes, in one table. */
export function registerMetadataCommand(program: Command, context: CliContext): void {
  program
    .command('metadata')
    .summary('show the signing keys, endpoints and signature of federation metadata')
    .description(
      [
        'Read WS-Federation 2007-06 or SAML 2.0 metadata, an OpenID Connect discovery document or a JWKS',
        '(file, https:// URL, or - for standard input) and show the issuer, its endpoints, its signing keys',
        "(SHA-1 thumbprint, validity, days left, the sections each appears in) and the document's own",
        'signature: valid (and whether the signer is an advertised key), invalid, or unsigned.',
      ].join('\n'),
    )
    .argument('<source>', 'metadata file, https:// URL, or - for standard input')
    .option('--entity-id <uri>', 'select one entity of an EntitiesDescriptor')
    .option(
      '--pin-signer <thumbprint>',
      'require the document to be signed by this certificate (repeatable); never for Azure AD, whose signer rolls',
      collect,
      [] as string[],
    )
    .option('--now <iso>', 'compute days left at this instant instead of now', parseInstant)
    .option('--json', 'print the normalised model as JSON', false)
    .option('--allow-http', 'allow a plain http:// URL to a non-loopback host', false)
    .addHelpText(
      'after',
      '\nExit status: 0 success, 1 rejected input (coded error on stderr), 2 usage error.',
    )
    .action(async (source: string, options: MetadataOptions) => {
      await runAction(context, options.json, () => runMetadata(context.io, source, options));
    });
}
