import { ERROR_CODES, type ErrorCode } from './error-codes.js';

/**
 * Structured facts about a rejection, for the operator's log. Token contents
 * are never put here; thumbprints, URLs, issuer URIs, positions and reasons are.
 */
export interface ErrorDetail {
  /** What was seen. */
  readonly observed?: unknown;
  /** What was expected instead. */
  readonly expected?: unknown;
  /** The issuer (entityID / issuer URI) concerned. */
  readonly issuer?: string;
  /** The URL concerned. */
  readonly url?: string;
  readonly [key: string]: unknown;
}

export interface ClaimsgateErrorOptions {
  /** Overrides the registry's generic hint with a more specific next step. */
  readonly hint?: string;
  readonly detail?: ErrorDetail;
  readonly cause?: unknown;
}

/**
 * The one error class for rejected input. `code` is stable and narrows with
 * `switch`; `message` says what was observed and expected; `hint` is the
 * operator's next step; `detail` is structured for logs.
 *
 * Programming mistakes (a bad option) are `TypeError`s instead.
 */
export class ClaimsgateError extends Error {
  override readonly name = 'ClaimsgateError';
  readonly code: ErrorCode;
  readonly hint: string;
  readonly detail: ErrorDetail;

  constructor(code: ErrorCode, message: string, options: ClaimsgateErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint ?? ERROR_CODES[code].hint;
    this.detail = options.detail ?? {};
    // V8 keeps the frames of an unformatted stack — their receivers and
    // closures, such as a parsed token's whole tree — alive as long as the
    // error lives. A refusal may be held seconds (an unknown key waiting for
    // a fetch) by thousands of requests at once: format the stack now, so
    // that the error keeps a string and nothing else (security review, F4).
    void this.stack;
  }

  /** A plain object for JSON output and structured logs. */
  toJSON(): { code: ErrorCode; message: string; hint: string; detail: ErrorDetail } {
    return { code: this.code, message: this.message, hint: this.hint, detail: this.detail };
  }
}

/** True when `error` is a ClaimsgateError, optionally with the given code. */
export function isClaimsgateError(error: unknown, code?: ErrorCode): error is ClaimsgateError {
  return error instanceof ClaimsgateError && (code === undefined || error.code === code);
}
