import { ClaimsgateError } from '../lib/errors.js';

/** Request parameters as fastify hands them over: a query string or a form body. */
export type RequestParameters = Readonly<Record<string, unknown>>;

/** A `CG_TOKEN_REQUEST_INVALID` naming the parameter and what is expected. */
export function requestError(parameter: string, message: string, expected?: string): ClaimsgateError {
  return new ClaimsgateError('CG_TOKEN_REQUEST_INVALID', message, {
    detail: { parameter, ...(expected === undefined ? {} : { expected }) },
  });
}

/** The parameters of a query string or form body, or an empty set when there are none. */
export function parametersOf(value: unknown): RequestParameters {
  return typeof value === 'object' && value !== null ? (value as RequestParameters) : {};
}

/**
 * A parameter given once as a string, or undefined when absent or empty.
 *
 * @throws ClaimsgateError `CG_TOKEN_REQUEST_INVALID` when the parameter is repeated.
 */
export function optionalParameter(parameters: RequestParameters, name: string): string | undefined {
  const value = parameters[name];
  if (value === undefined || value === '') return undefined;
  // SECURITY: a repeated parameter is refused rather than one copy picked:
  // two components picking different copies is how parameter pollution works.
  if (typeof value !== 'string') throw requestError(name, `The parameter ${name} is given more than once.`);
  return value;
}

/**
 * A parameter that must be present.
 *
 * @throws ClaimsgateError `CG_TOKEN_REQUEST_INVALID` when it is missing, empty or repeated.
 */
export function requiredParameter(
  parameters: RequestParameters,
  name: string,
  protocol: string,
  expected: string,
): string {
  const value = optionalParameter(parameters, name);
  if (value === undefined) {
    throw requestError(name, `The ${protocol} request has no ${name}: ${expected} is required.`, expected);
  }
  return value;
}

/**
 * An absolute http: or https: URL without credentials — where the simulator
 * may send a browser with a token.
 *
 * @throws ClaimsgateError `CG_TOKEN_REQUEST_INVALID` for anything else.
 */
export function httpUrlParameter(value: string, name: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  // SECURITY: a javascript: or data: URL as a form action would run script in
  // the simulator's origin; credentials in a URL leak through logs.
  if (
    url === undefined ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.username !== '' ||
    url.password !== ''
  ) {
    throw requestError(
      name,
      `The parameter ${name} must be an absolute http: or https: URL without credentials.`,
      'an absolute http(s) URL',
    );
  }
  return value;
}
