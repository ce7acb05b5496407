/** What checking one setting's value gives: the value, or what is wrong with it (setting-types.ts and the checks it calls). */

/** A problem inside one setting's value; `suffix` extends its path (`[0].secret`). */
export interface ValueProblem {
  readonly suffix: string;
  readonly message: string;
  readonly observed?: unknown;
}

/** The checked value, or what is wrong with it. */
export type CheckedValue =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly problems: readonly ValueProblem[] };
