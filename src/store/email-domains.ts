import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { invalid } from './input-values.js';
import { MAX_ISSUER_DOMAINS } from './issuer-schema.js';

/*
 * The e-mail domains an issuer signs users in for (home-realm discovery,
 * docs/sign-in.md): one form for every domain, so that a domain typed in
 * any case, in Unicode or with a trailing dot finds the one issuer holding it.
 */

/** Longest DNS name in its ASCII form, without the trailing dot (RFC 1035 §2.3.4). */
const MAX_DOMAIN_LENGTH = 253;

/** One label of a host name: letters, digits and inner hyphens, 1–63 of them (RFC 1123 §2.1). */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** What a domain must be, for error messages. */
export const DOMAIN_RULE =
  'a DNS name such as contoso.com (labels of 1–63 letters, digits or hyphens, at most 253 characters; no @, wildcard or IP address)';

/**
 * A domain in its one stored form: IDNA to ASCII (`bücher.example` →
 * `xn--bcher-kva.example`), lower case, without its trailing dot; undefined
 * when `value` is not a DNS name (an address with `@`, a wildcard, an IP
 * literal, an empty or over-long label, a name over 253 characters).
 */
export function toDomainName(value: string): string | undefined {
  const bare = value.endsWith('.') ? value.slice(0, -1) : value;
  // SECURITY: the URL host parser would turn `0x7f.1` into 127.0.0.1 and accept `[::1]`: refuse IP
  // literals and anything with a character a host name never has before letting it near the parser.
  if (bare === '' || /[@*[\]:/\\%\s]/.test(bare) || isIP(bare) !== 0) return undefined;
  const ascii = domainToASCII(bare);
  if (ascii === '' || ascii.length > MAX_DOMAIN_LENGTH || isIP(ascii) !== 0) return undefined;
  const labels = ascii.split('.');
  if (!labels.every((label) => LABEL.test(label))) return undefined;
  // A numeric last label makes the parser read the whole name as an IPv4 address (`1.2.3.4`, `10.0x1`).
  if (/^(?:\d+|0x[0-9a-f]*)$/.test(labels[labels.length - 1] ?? '')) return undefined;
  return ascii;
}

/**
 * The domain of an e-mail address, in the form {@link toDomainName} gives:
 * the text after the last `@` (a quoted local part may hold one). Undefined
 * when there is no `@`, nothing before it, or the rest is not a DNS name.
 */
export function emailDomainOf(address: string): string | undefined {
  const at = address.lastIndexOf('@');
  if (at <= 0) return undefined;
  return toDomainName(address.slice(at + 1).trim());
}

/**
 * Checks an issuer's domains and returns them in their stored form, without
 * repeats and sorted (so that one set of domains has one stored value).
 *
 * @throws ClaimsgateError `CG_STORE_INVALID` naming the first domain that is not a DNS name (`domains[2]`),
 *   or `domains` when there are more than {@link MAX_ISSUER_DOMAINS}.
 */
export function normalizeDomains(field: string, value: readonly string[]): string[] {
  const domains = new Set<string>();
  value.forEach((entry, index) => {
    const domain = typeof entry === 'string' ? toDomainName(entry) : undefined;
    if (domain === undefined) throw invalid(`${field}[${index}]`, DOMAIN_RULE, entry);
    domains.add(domain);
  });
  if (domains.size > MAX_ISSUER_DOMAINS)
    throw invalid(field, `at most ${MAX_ISSUER_DOMAINS} domains`, `${domains.size} domains`);
  return [...domains].sort();
}
