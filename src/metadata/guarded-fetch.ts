import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';
import { ClaimsgateError } from '../lib/errors.js';
import { bareHost, checkAddress, type AddressPolicy } from './address-policy.js';

/** A resolver shaped like `dns.lookup` asked for every address: what tests replace. */
export type ResolveAll = (
  hostname: string,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/** Options of {@link createGuardedFetch}. */
export interface GuardedFetchOptions {
  /** Host names, IPs or CIDR ranges allowed to be private (`rollover.privateMetadataHosts`). Default none. */
  readonly privateHosts?: readonly string[];
  /** The resolver; default `dns.lookup` with `all: true` (the system's resolver, /etc/hosts included). */
  readonly resolve?: ResolveAll;
}

/** A fetch whose connections are checked, and that owns a connection pool to close. */
export interface GuardedFetch {
  readonly fetch: typeof globalThis.fetch;
  /** Closes the pooled connections; the fetch must not be used afterwards. */
  close(): Promise<void>;
}

const systemResolve: ResolveAll = (hostname, callback) => {
  dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => callback(error, addresses ?? []));
};

/** The options `net.connect` passes to its `lookup`. */
interface LookupOptions {
  readonly all?: boolean | undefined;
  readonly family?: number | string | undefined;
}

type LookupCallback = (error: Error | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for `net.connect` that resolves `hostname` and refuses it —
 * before any connection is made — when any of its addresses is one the
 * policy forbids (see `checkAddress`): every address, so that a DNS answer
 * mixing a public and a private address cannot win by order (DNS rebinding).
 */
export function guardedLookup(policy: AddressPolicy, resolve: ResolveAll = systemResolve) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolve(hostname, (error, found) => {
      if (error !== null) {
        callback(error, []);
        return;
      }
      const wanted = options.family === 4 || options.family === 6 ? options.family : undefined;
      const addresses = found.filter((entry) => wanted === undefined || entry.family === wanted);
      try {
        if (addresses.length === 0)
          throw Object.assign(new Error(`No address for ${hostname}.`), { code: 'ENOTFOUND' });
        for (const entry of addresses) checkAddress(hostname, entry.address, policy);
      } catch (refused) {
        callback(refused as Error, []);
        return;
      }
      if (options.all === true) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

function headerPairs(headers: Headers): [string, string][] {
  const pairs: [string, string][] = [];
  headers.forEach((value, name) => pairs.push([name, value]));
  return pairs;
}

/**
 * A fetch for metadata (and what metadata points at: `jwks_uri`, the OpenID
 * Connect token endpoint) whose every connection goes to an address the
 * policy allows: a URL's IP literal is checked before the request, a host
 * name at connect time, after it resolved (`guardedLookup`), for every hop
 * (redirects are separate requests). Built on undici's own fetch and
 * connection pool. A refusal rejects with the `CG_META_URL_INSECURE` error
 * as its `cause`.
 */
export function createGuardedFetch(options: GuardedFetchOptions = {}): GuardedFetch {
  const policy: AddressPolicy = { privateHosts: [...(options.privateHosts ?? [])] };
  const agent = new Agent({ connect: { lookup: guardedLookup(policy, options.resolve) } });
  const guarded = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const host = bareHost(url.hostname);
    // An IP in the URL is connected to as it is, with no lookup: checked here.
    if (isIP(host) !== 0) checkAddress(host, host, policy, url.href);
    const body = request.body === null ? undefined : await request.arrayBuffer();
    const response = await undiciFetch(url.href, {
      method: request.method,
      headers: headerPairs(request.headers),
      redirect: request.redirect,
      signal: request.signal,
      dispatcher: agent,
      ...(body === undefined ? {} : { body }),
    });
    return response as unknown as Response;
  };
  return {
    fetch: guarded,
    close: () => agent.close(),
  };
}

/** The ClaimsgateError a failed fetch carries in its `cause` chain (a refused address), if any. */
export function codedCause(error: unknown): ClaimsgateError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth += 1) {
    if (current instanceof ClaimsgateError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
