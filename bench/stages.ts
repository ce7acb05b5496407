// Where one claimsgate validation spends its time: the steps of
// validateXmlToken on the bench's token, each timed on its own with the
// output of the step before it, so that the next optimisation is visible.
// The steps are the library's own functions, not copies; each one's result
// is checked once before any timing (the digest must match, the signature
// verify, the read-back yield the token's subject).
import { constants, createHash, verify } from 'node:crypto';
import { parseCertificateDer } from '../src/crypto/certificate.js';
import { readSaml2Assertion } from '../src/tokens/read-saml2-assertion.js';
import { parseXmlToken } from '../src/tokens/parse-xml-token.js';
import { DEFAULT_MAX_TOKEN_BYTES } from '../src/tokens/validation-context.js';
import { parseCanonicalXml } from '../src/xml/parse-canonical-xml.js';
import { canonicalizeSignedElement, canonicalizeSignedInfo } from '../src/xmldsig/canonicalize.js';
import { inspectEnvelopedSignature, type SignatureInspection } from '../src/xmldsig/inspect-signature.js';
import type { BenchSigner, BenchToken } from './make-token.js';

/** One step of a validation, runnable on its own. */
export interface Stage {
  readonly name: string;
  /** What the step does, for the report. */
  readonly describe: string;
  readonly run: () => unknown;
}

/**
 * The steps of validating `token`'s wresult, in the order validateXmlToken
 * takes them: parse (wresult to DOM, assertion located), inspect (the
 * signature's structure and algorithms), c14n (SignedInfo and the signed
 * assertion, exclusive c14n), digest (SHA-256 of the canonical assertion),
 * verify (RSA-SHA256 of the canonical SignedInfo: the floor's work), read-back
 * (the canonical bytes parsed again and the identity read from them). What
 * the whole validation costs beyond their sum (trust lookup, conditions,
 * claims, the promise) is the rest.
 *
 * @throws Error when a step's result is not what a genuine validation gets.
 */
export function claimsgateStages(token: BenchToken, signer: BenchSigner): Stage[] {
  const maxCanonicalLength = 4 * DEFAULT_MAX_TOKEN_BYTES;
  const parsed = parseXmlToken(token.wresult, DEFAULT_MAX_TOKEN_BYTES);
  const assertion = parsed.located.assertion;
  const inspect = (): SignatureInspection => {
    const inspection = inspectEnvelopedSignature(assertion, { allowSha1: false, maxCanonicalLength });
    if (inspection === undefined) throw new Error('the bench token carries no enveloped signature');
    return inspection;
  };
  const inspection = inspect();
  const signedInfo = Buffer.from(canonicalizeSignedInfo(inspection), 'utf8');
  const canonical = canonicalizeSignedElement(inspection, assertion);
  const digest = (): Buffer => createHash('sha256').update(canonical, 'utf8').digest();
  if (!digest().equals(inspection.digestValue)) throw new Error('stages: the digest does not match');
  const publicKey = parseCertificateDer(signer.der).publicKey;
  const verifySignedInfo = (): boolean =>
    verify(
      'sha256',
      signedInfo,
      { key: publicKey, padding: constants.RSA_PKCS1_PADDING },
      inspection.signatureValue,
    );
  if (!verifySignedInfo()) throw new Error('stages: the signature does not verify');
  const readBack = () => readSaml2Assertion(parseCanonicalXml(canonical));
  if (readBack().subject !== token.subject) throw new Error('stages: the read-back has another subject');
  return [
    {
      name: 'parse',
      describe: 'wresult to DOM, assertion located',
      run: () => parseXmlToken(token.wresult, DEFAULT_MAX_TOKEN_BYTES),
    },
    { name: 'inspect', describe: "the signature's structure and algorithms", run: inspect },
    {
      name: 'c14n',
      describe: 'exclusive c14n of SignedInfo and of the assertion',
      run: () => {
        canonicalizeSignedInfo(inspection);
        return canonicalizeSignedElement(inspection, assertion);
      },
    },
    { name: 'digest', describe: 'SHA-256 of the canonical assertion', run: digest },
    { name: 'verify', describe: 'RSA-SHA256 of the canonical SignedInfo', run: verifySignedInfo },
    {
      name: 'read-back',
      describe: 'canonical bytes parsed again, identity read from them',
      run: readBack,
    },
  ];
}

/** The report's lines: each step's µs and share of a whole validation of `wholeMicroseconds`, then the rest. */
export function formatStages(
  stages: readonly { readonly stage: Stage; readonly microseconds: number }[],
  wholeMicroseconds: number,
): string[] {
  const share = (microseconds: number): string =>
    `${((100 * microseconds) / wholeMicroseconds).toFixed(0)} %`;
  const rows = stages.map(
    ({ stage, microseconds }) =>
      `  ${stage.name.padEnd(10)} ${microseconds.toFixed(1).padStart(7)} µs  ${share(microseconds).padStart(5)}  ${stage.describe}`,
  );
  const sum = stages.reduce((total, { microseconds }) => total + microseconds, 0);
  const rest = wholeMicroseconds - sum;
  return [
    `where a claimsgate validation (1 key, ${wholeMicroseconds.toFixed(1)} µs) spends its time, each step timed alone:`,
    ...rows,
    `  ${'rest'.padEnd(10)} ${rest.toFixed(1).padStart(7)} µs  ${share(rest).padStart(5)}  trust lookup, conditions, claims, the promise (the whole minus the steps)`,
  ];
}
