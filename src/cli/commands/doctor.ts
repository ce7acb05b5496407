import type { Command } from 'commander';
import { diagnoseThumbprints, type ThumbprintDiagnosis } from '../../trust/diagnose-thumbprints.js';
import { loadMetadata } from '../load-metadata.js';
import { EXIT, renderTable, toJson, type CliIo } from '../output.js';
import { runAction, type CliContext } from '../run-action.js';
import { collect, describeSignature, parseInstant } from './metadata.js';

interface DoctorOptions {
  readonly thumbprint: string[];
  readonly json: boolean;
  readonly allowHttp: boolean;
  readonly entityId?: string;
  readonly now?: Date;
}

const VERDICT_TEXT: Readonly<Record<ThumbprintDiagnosis['verdict'], string>> = {
  healthy: 'HEALTHY — the configuration trusts every signing key the issuer publishes.',
  'at-risk':
    'AT RISK — sign-ins work now, but the configuration will not survive the next rollover as it stands.',
  broken: 'BROKEN — no configured thumbprint is a valid signing key the issuer publishes now.',
};

function renderDiagnosis(diagnosis: ThumbprintDiagnosis, origin: string, signature: string): string {
  const rows = diagnosis.findings.map((finding) => [
    finding.thumbprint ?? JSON.stringify(finding.input),
    finding.status,
    finding.daysLeft === undefined ? '' : String(finding.daysLeft),
    finding.key?.sections.join(', ') ?? '',
  ]);
  const lines = [
    `Issuer:    ${diagnosis.issuer ?? '(none)'}`,
    `Metadata:  ${origin}`,
    `Signature: ${signature}`,
    '',
    'Configured thumbprints:',
    renderTable(['THUMBPRINT', 'STATUS', 'DAYS LEFT', 'PUBLISHED IN'], rows),
  ];
  if (diagnosis.missing.length > 0) {
    lines.push('', 'Published signing keys missing from the configuration:');
    lines.push(
      renderTable(
        ['SHA-1 THUMBPRINT', 'SUBJECT', 'VALID UNTIL'],
        diagnosis.missing.map((key) => [
          key.sha1 ?? key.kid ?? '?',
          key.certificate?.subject ?? '',
          key.certificate?.notAfter.toISOString().slice(0, 10) ?? '',
        ]),
      ),
    );
  }
  lines.push('', VERDICT_TEXT[diagnosis.verdict], ...diagnosis.advice.map((sentence) => `- ${sentence}`));
  return `${lines.join('\n')}\n`;
}

async function runDoctor(io: CliIo, source: string, options: DoctorOptions): Promise<number> {
  const loaded = await loadMetadata(io, source, { allowHttp: options.allowHttp, entityId: options.entityId });
  const diagnosis = diagnoseThumbprints(loaded.metadata, options.thumbprint, options.now ?? io.now());
  if (options.json) {
    io.stdout(`${toJson({ source: loaded.origin, signature: loaded.signature, ...diagnosis })}\n`);
  } else {
    io.stdout(renderDiagnosis(diagnosis, loaded.origin, describeSignature(loaded.signature)));
  }
  return diagnosis.verdict === 'healthy' ? EXIT.ok : EXIT.rejected;
}

/** `claimsgate doctor`: will my configuration survive the next rollover? */
export function registerDoctorCommand(program: Command, context: CliContext): void {
  program
    .command('doctor')
    .summary('check configured thumbprints against what the issuer publishes now')
    .description(
      [
        'Compare the thumbprints an application is configured with (pasted as they are; they are',
        'normalised) against the signing keys the issuer publishes now: which configured thumbprints are',
        'still published, which published keys are missing (the next rollover will break sign-ins), and',
        'which configured ones have expired, are encryption keys, or are no longer published.',
      ].join('\n'),
    )
    .argument('<metadata>', 'metadata file, https:// URL, or - for standard input')
    .requiredOption('--thumbprint <value>', 'a configured thumbprint (repeatable)', collect)
    .option('--entity-id <uri>', 'select one entity of an EntitiesDescriptor')
    .option('--now <iso>', 'judge validity at this instant instead of now', parseInstant)
    .option('--json', 'print the diagnosis as JSON', false)
    .option('--allow-http', 'allow a plain http:// URL to a non-loopback host', false)
    .addHelpText(
      'after',
      [
        '',
        'Example:',
        '  claimsgate doctor https://login.microsoftonline.com/<tenant>/federationmetadata/2007-06/federationmetadata.xml \\',
        '    --thumbprint "‎3270bf5597004df339a4e62224731b6bd82810a6"',
        '',
        'Exit status: 0 healthy, 1 at risk or broken (or rejected input), 2 usage error.',
      ].join('\n'),
    )
    .action(async (source: string, options: DoctorOptions) => {
      await runAction(context, options.json, () => runDoctor(context.io, source, options));
    });
}
