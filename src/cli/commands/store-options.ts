import { InvalidArgumentError, type Command } from 'commander';
import type { MetadataSignaturePolicy } from '../../metadata/check-metadata-signature.js';
import type { DiscontinuityPolicy, Protocol } from '../../store/model.js';

/** The options every command over the store has. */
export interface StoreOptions {
  readonly db?: string;
  readonly json: boolean;
}

/** Adds `--db` and `--json` to a command over the store. */
export function addStoreOptions(command: Command, jsonHelp: string): Command {
  return command
    .option(
      '--db <url|path>',
      'the database: a SQLite file (or sqlite:<path>) or postgres://… (default: $CLAIMSGATE_DATABASE_URL, else ./data/claimsgate.db)',
    )
    .option('--json', jsonHelp, false);
}

/** The help text after a store command's options: examples, then the exit status. */
export function storeExamples(...lines: string[]): string {
  return [
    '',
    'Examples:',
    ...lines.map((line) => `  ${line}`),
    '',
    'Exit status: 0 success, 1 rejected (coded error on stderr), 2 usage error.',
  ].join('\n');
}

/** Ends the command with a usage error (exit 2). */
export function usage(command: Command, message: string): never {
  command.error(`error: ${message}`, { exitCode: 2, code: 'claimsgate.usage' });
}

const PROTOCOL_NAMES: readonly Protocol[] = ['wsfed', 'saml2', 'oidc'];

/** Collects a repeatable `--protocol`. */
export function collectProtocol(value: string, previous: Protocol[] | undefined): Protocol[] {
  if (!PROTOCOL_NAMES.includes(value as Protocol)) {
    throw new InvalidArgumentError(`--protocol must be wsfed, saml2 or oidc, not "${value}"`);
  }
  return [...(previous ?? []), value as Protocol];
}

/** Parses `--refresh-interval`: whole seconds, at least 60 and at most 7 days. */
export function parseRefreshInterval(value: string): number {
  const seconds = Number(value);
  if (!/^\d+$/.test(value) || seconds < 60 || seconds > 7 * 86_400) {
    throw new InvalidArgumentError(`"${value}" is not a whole number of seconds between 60 and 604800`);
  }
  return seconds;
}

/** The signature policy modes `--signature-policy` takes. */
export type SignaturePolicyMode = MetadataSignaturePolicy['mode'];

/** Parses `--signature-policy`. */
export function parseSignaturePolicyMode(value: string): SignaturePolicyMode {
  if (value === 'off' || value === 'self-consistent' || value === 'pinned') return value;
  throw new InvalidArgumentError(`--signature-policy must be off, self-consistent or pinned, not "${value}"`);
}

/** Parses `--on-discontinuity`. */
export function parseDiscontinuityPolicy(value: string): DiscontinuityPolicy {
  if (value === 'auto' || value === 'hold' || value === 'accept-with-alert') return value;
  throw new InvalidArgumentError(
    `--on-discontinuity must be auto, hold or accept-with-alert, not "${value}"`,
  );
}

/**
 * The policy that `--signature-policy` and `--pin-signer` ask for, undefined
 * when neither is given. `--pin-signer` alone means `pinned`.
 *
 * @throws Error (via {@link usage}) when pinned has no signer, or signers come with another mode.
 */
export function signaturePolicyFrom(
  command: Command,
  mode: SignaturePolicyMode | undefined,
  pinSigners: readonly string[] | undefined,
): MetadataSignaturePolicy | undefined {
  const signers = pinSigners ?? [];
  if (signers.length > 0) {
    if (mode !== undefined && mode !== 'pinned') {
      usage(command, `--pin-signer goes with --signature-policy pinned, not ${mode}`);
    }
    return { mode: 'pinned', pinnedSigners: signers };
  }
  if (mode === 'pinned') usage(command, '--signature-policy pinned needs at least one --pin-signer');
  return mode === undefined ? undefined : { mode };
}

/** Parses an absolute http(s) URL option. */
export function parseHttpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(`"${value}" is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InvalidArgumentError(`"${value}" is not an http:// or https:// URL`);
  }
  return value;
}

/** Parses a URL option of `edit`, where an empty value clears the field. */
export function parseClearableUrl(value: string): string | null {
  return value.trim() === '' ? null : parseHttpUrl(value);
}

/** Parses `--limit`: a positive whole number. */
export function parseLimit(value: string): number {
  const limit = Number(value);
  if (!/^\d+$/.test(value) || limit < 1 || !Number.isSafeInteger(limit)) {
    throw new InvalidArgumentError(`"${value}" is not a positive whole number`);
  }
  return limit;
}
