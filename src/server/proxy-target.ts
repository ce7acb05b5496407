import http, { type ClientRequest, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { ClaimsgateError } from '../lib/errors.js';
import { upstreamRequestTarget } from './proxy-paths.js';

/** The protected application: where proxied requests go, over pooled connections. */
export interface UpstreamTarget {
  /** The upstream's origin (`http://127.0.0.1:3000`), for logs. */
  readonly origin: string;
  /** The Host header the upstream gets. */
  readonly host: string;
  /**
   * Opens a request to the upstream for the client's request target (path
   * and query, passed on unchanged below the upstream's own path). HTTP
   * requests share keep-alive connections; an upgrade gets a connection of
   * its own. The caller writes or pipes the body and ends the request.
   *
   * @throws TypeError when `requestUrl` is not in origin form (`/…`).
   */
  request(
    method: string,
    requestUrl: string,
    headers: OutgoingHttpHeaders,
    options?: { readonly upgrade?: boolean },
  ): ClientRequest;
  /** Closes the pooled connections (at server close). */
  close(): void;
}

/**
 * Builds the target for `config.gateway.upstream` (http: or https:; TLS
 * certificates are verified against Node's trust store, extended with
 * NODE_EXTRA_CA_CERTS).
 *
 * @throws TypeError for a URL that is not http(s).
 */
export function createUpstreamTarget(upstream: string): UpstreamTarget {
  const url = new URL(upstream);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`gateway.upstream must be an http: or https: URL, not ${url.protocol}`);
  }
  const secure = url.protocol === 'https:';
  const agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  // node:http wants an IPv6 literal without its brackets.
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  return {
    origin: url.origin,
    host: url.host,
    request(method, requestUrl, headers, options = {}): ClientRequest {
      const requestOptions = {
        method,
        hostname,
        port,
        path: upstreamRequestTarget(url.pathname, requestUrl),
        headers,
        // An upgraded connection leaves the pool for good: give it its own.
        agent: options.upgrade === true ? false : agent,
      };
      return secure ? https.request(requestOptions) : http.request(requestOptions);
    },
    close(): void {
      agent.destroy();
    },
  };
}

/** A timer that can be pushed back and stopped. */
export interface Deadline {
  /** Starts the full time again (more of the request was passed on). */
  restart(): void;
  /** Stops the timer for good (the upstream answered, or the exchange ended). */
  clear(): void;
}

/** Starts a deadline of `ms` that calls `onExpired` once unless cleared first. */
export function startDeadline(ms: number, onExpired: () => void): Deadline {
  let cleared = false;
  let timer = setTimeout(onExpired, ms);
  return {
    restart(): void {
      if (cleared) return;
      clearTimeout(timer);
      timer = setTimeout(onExpired, ms);
    },
    clear(): void {
      cleared = true;
      clearTimeout(timer);
    },
  };
}

/**
 * The coded error for an upstream that failed: a timeout, or any other
 * failure to connect or to get an answer. The message is safe to show; the
 * socket error (address, errno) is only in the detail and the cause, for the
 * log.
 */
export function upstreamFailure(target: UpstreamTarget, reason: 'timeout' | Error): ClaimsgateError {
  if (reason === 'timeout') {
    return new ClaimsgateError('CG_GATEWAY_UPSTREAM_TIMEOUT', 'The application did not answer in time.', {
      detail: { url: target.origin },
    });
  }
  const errno = (reason as NodeJS.ErrnoException).code;
  return new ClaimsgateError('CG_GATEWAY_UPSTREAM_UNAVAILABLE', 'The application could not be reached.', {
    detail: { url: target.origin, observed: errno ?? reason.message },
    cause: reason,
  });
}
