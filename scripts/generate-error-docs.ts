// Writes docs/errors.md from the error-code registry (src/lib/error-codes.ts).
// `npm run docs:errors` regenerates it; test/lib/error-codes.test.ts fails
// when the committed page and the registry differ.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES } from '../src/lib/error-codes.js';

const AREAS: Record<string, string> = {
  XML: 'XML parsing (metadata and tokens)',
  CERT: 'Certificates',
  TRUST: 'Trust and thumbprints',
  SIG: 'XML signatures',
  META: 'Federation metadata',
  TOKEN: 'Tokens',
  STORE: 'Store',
  SESSION: 'Sessions and sign-in state',
  CONFIG: 'Configuration',
  ADMIN: 'Administration',
};

/** The Markdown page for the registry. */
export function renderErrorDocs(): string {
  const lines = [
    '# Error codes',
    '',
    'Every rejection claimsgate makes carries one of these stable codes. The CLI prints',
    'the code, a message that says what was observed and expected, a hint (the next',
    'step) and a structured detail; the library throws a `ClaimsgateError` with the same',
    'fields (`code`, `message`, `hint`, `detail`, `cause`). Codes are never renamed or',
    'reused.',
    '',
    'This page is generated from `src/lib/error-codes.ts` by `npm run docs:errors`.',
    '',
  ];
  let area = '';
  for (const [code, spec] of Object.entries(ERROR_CODES)) {
    const codeArea = code.split('_')[1] ?? '';
    if (codeArea !== area) {
      area = codeArea;
      lines.push(`## ${AREAS[area] ?? area}`, '');
    }
    lines.push(`### ${code}`, '', `**Meaning.** ${spec.meaning}`, '', `**What to do.** ${spec.hint}`, '');
  }
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorDocs());
  console.log('docs/errors.md written.');
}
