import { InvalidArgumentError, type Command } from 'commander';
import { readCertificates, type CertificateInfo } from '../../crypto/certificate.js';
import { formatThumbprint, normalizeThumbprint, type ThumbprintFormat } from '../../crypto/thumbprint.js';
import { listDocumentCertificates } from '../../metadata/list-certificates.js';
import { parseMetadata } from '../../metadata/parse-metadata.js';
import { parseXml } from '../../xml/parse-xml.js';
import { formatDate, toJson, type CliIo } from '../output.js';
import { readSource } from '../read-source.js';
import { runAction, type CliContext } from '../run-action.js';

type AlgorithmChoice = 'sha1' | 'sha256' | 'both';

interface ThumbprintOptions {
  readonly alg: AlgorithmChoice;
  readonly format: ThumbprintFormat;
  readonly json: boolean;
  readonly normalize?: string;
  readonly allowHttp: boolean;
}

interface FoundCertificate {
  readonly certificate: CertificateInfo;
  /** Where it appears in a metadata document, e.g. `fed:SecurityTokenServiceType (signing)`. */
  readonly sections: readonly string[] | undefined;
}

function findCertificates(bytes: Buffer): FoundCertificate[] {
  const head = bytes
    .subarray(0, 64)
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (head.startsWith('<')) {
    const { root } = parseXml(bytes);
    return listDocumentCertificates(root).map(({ certificate, appearances }) => ({
      certificate,
      sections: appearances.map((a) => (a.use === undefined ? a.section : `${a.section} (${a.use})`)),
    }));
  }
  if (head.startsWith('{')) {
    const { metadata } = parseMetadata(bytes);
    return [...metadata.signingKeys, ...metadata.encryptionKeys].flatMap((key) =>
      key.certificate === undefined
        ? []
        : [{ certificate: key.certificate, sections: [`jwks kid=${key.kid ?? '?'}`] }],
    );
  }
  return readCertificates(bytes).map((certificate) => ({ certificate, sections: undefined }));
}

function describe(certificate: CertificateInfo): Record<string, unknown> {
  return {
    subject: certificate.subject,
    issuer: certificate.issuer,
    serialNumber: certificate.serialNumber,
    notBefore: certificate.notBefore.toISOString(),
    notAfter: certificate.notAfter.toISOString(),
    keyType: certificate.keyType,
    keySize: certificate.keySize,
    ...(certificate.curve === undefined ? {} : { curve: certificate.curve }),
    sha1: certificate.sha1,
    sha256: certificate.sha256,
  };
}

function runNormalize(io: CliIo, value: string, options: ThumbprintOptions): number {
  const result = normalizeThumbprint(value);
  const thumbprint = formatThumbprint(result.thumbprint, options.format);
  if (options.json) {
    io.stdout(`${toJson({ thumbprint, algorithm: result.algorithm, removed: result.removed })}\n`);
    return 0;
  }
  io.stdout(`${thumbprint}\n`);
  const noteworthy = result.removed.filter((c) => c.name !== 'SPACE' && c.name !== 'COLON');
  if (result.removed.length > 0) {
    const summary =
      noteworthy.length === 0
        ? 'separators only'
        : noteworthy.map((c) => `${c.codePoint} ${c.name} at position ${c.position}`).join(', ');
    io.stderr(
      `removed ${result.removed.length} character${result.removed.length === 1 ? '' : 's'}: ${summary}\n`,
    );
  }
  return 0;
}

async function runThumbprint(
  io: CliIo,
  source: string | undefined,
  options: ThumbprintOptions,
): Promise<number> {
  if (options.normalize !== undefined) return runNormalize(io, options.normalize, options);
  const { bytes } = await readSource(source ?? '-', io, { allowHttp: options.allowHttp });
  const found = findCertificates(bytes);
  if (options.json) {
    const list = found.map(({ certificate, sections }) => ({
      ...describe(certificate),
      ...(sections === undefined ? {} : { sections }),
    }));
    io.stdout(`${toJson(list)}\n`);
    return 0;
  }
  const lines = found.map(({ certificate, sections }) => {
    const prints = [
      ...(options.alg === 'sha256' ? [] : [formatThumbprint(certificate.sha1, options.format)]),
      ...(options.alg === 'sha1' ? [] : [formatThumbprint(certificate.sha256, options.format)]),
    ].join(' ');
    if (sections === undefined) return found.length === 1 ? prints : `${prints}  ${certificate.subject}`;
    return `${prints}  ${certificate.subject}, until ${formatDate(certificate.notAfter)}  [${sections.join(', ')}]`;
  });
  io.stdout(`${lines.join('\n')}\n`);
  return 0;
}

/** `claimsgate thumbprint`: the "calculate fingerprint" step of the manual fix, done locally and right. */
export function registerThumbprintCommand(program: Command, context: CliContext): void {
  const { io } = context;
  program
    .command('thumbprint')
    .summary('compute certificate thumbprints, or clean a pasted thumbprint')
    .description(
      [
        'Print the SHA-1 thumbprint (uppercase hex, no separators: the form thumbprint fields take) of every',
        'certificate in the input, one line each. The input may be a PEM file (one or many certificates),',
        'the base64 text of an <X509Certificate> element (line breaks and spaces included), a DER file, a',
        'federation metadata document (every distinct certificate, with the sections it appears in), a JWKS,',
        'or an https:// URL of one. Without a file, or with -, standard input is read.',
        '',
        'With --normalize, clean a thumbprint pasted from anywhere instead: whitespace, colons, dashes and',
        'invisible format characters (U+200E and friends) are removed and reported on stderr; anything else',
        'is refused with each offending character named by code point and position.',
      ].join('\n'),
    )
    .argument('[input]', 'certificate, metadata file or URL; - for standard input')
    .option('--alg <algorithm>', 'sha1, sha256 or both', parseAlgorithm, 'sha1' as AlgorithmChoice)
    .option(
      '--format <format>',
      'plain (AB12…) or colons (AB:12:…)',
      parseFormat,
      'plain' as ThumbprintFormat,
    )
    .option('--normalize <value>', 'clean a pasted thumbprint instead of reading certificates')
    .option(
      '--json',
      'print subject, issuer, serial, validity, key type and size, SHA-1 and SHA-256 as JSON',
      false,
    )
    .option('--allow-http', 'allow a plain http:// URL to a non-loopback host', false)
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  claimsgate thumbprint signing.pem',
        '  claimsgate thumbprint https://login.microsoftonline.com/<tenant>/federationmetadata/2007-06/federationmetadata.xml',
        '  pbpaste | claimsgate thumbprint -',
        '  claimsgate thumbprint --normalize "‎a9 99 3e 36 47 06 81 6a ba 3e 25 71 78 50 c2 6c 9c d0 d8 9d"',
        '',
        'Exit status: 0 success, 1 rejected input (coded error on stderr), 2 usage error.',
      ].join('\n'),
    )
    .action(async (input: string | undefined, options: ThumbprintOptions) => {
      await runAction(context, options.json, () => runThumbprint(io, input, options));
    });
}

function parseAlgorithm(value: string): AlgorithmChoice {
  if (value === 'sha1' || value === 'sha256' || value === 'both') return value;
  throw new InvalidArgumentError(`--alg must be sha1, sha256 or both, not "${value}"`);
}

function parseFormat(value: string): ThumbprintFormat {
  if (value === 'plain' || value === 'colons') return value;
  throw new InvalidArgumentError(`--format must be plain or colons, not "${value}"`);
}
