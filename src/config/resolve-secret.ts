/**
 * Secret references: a secret setting may be written as `env:NAME` (the value
 * of an environment variable) or `file:/path` (the contents of a file, such
 * as a mounted container secret), so the secret itself stays out of the
 * configuration file and the process arguments.
 */

/** Where references are resolved from. */
export interface SecretSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile: (path: string) => string;
}

/** A resolved secret, or why the reference could not be resolved (never containing the secret). */
export type ResolvedSecret =
  { readonly ok: true; readonly value: string } | { readonly ok: false; readonly message: string };

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_SECRET_FILE_CHARS = 65_536;

/** True when `text` is an `env:` or `file:` reference rather than a secret. */
export function isSecretReference(text: string): boolean {
  return text.startsWith('env:') || text.startsWith('file:');
}

/**
 * The secret a value stands for: the value itself, or what its `env:` /
 * `file:` reference points at, trimmed of surrounding whitespace (files
 * written by `echo` end with a newline). Failure messages name the reference,
 * never a value.
 */
export function resolveSecret(text: string, sources: SecretSources): ResolvedSecret {
  if (text.startsWith('env:')) {
    const name = text.slice('env:'.length);
    if (!ENV_NAME.test(name)) {
      return { ok: false, message: `the reference ${text} does not name an environment variable` };
    }
    const value = sources.env[name]?.trim();
    if (value === undefined) {
      return { ok: false, message: `the reference ${text} names an environment variable that is not set` };
    }
    if (value === '') {
      return { ok: false, message: `the reference ${text} names an empty environment variable` };
    }
    return { ok: true, value };
  }
  if (text.startsWith('file:')) {
    const path = text.slice('file:'.length);
    if (path === '') return { ok: false, message: `the reference ${text} names no file` };
    let contents: string;
    try {
      contents = sources.readFile(path);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const reason = typeof code === 'string' ? ` (${code})` : '';
      return { ok: false, message: `the reference ${text} names a file that cannot be read${reason}` };
    }
    if (contents.length > MAX_SECRET_FILE_CHARS) {
      return {
        ok: false,
        message: `the reference ${text} names a file larger than ${MAX_SECRET_FILE_CHARS} characters`,
      };
    }
    const value = contents.trim();
    if (value === '') return { ok: false, message: `the reference ${text} names an empty file` };
    return { ok: true, value };
  }
  return { ok: true, value: text };
}
