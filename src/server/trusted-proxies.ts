import type { Config } from '../config/config-schema.js';
import type { DeepReadonly } from '../config/deep-freeze.js';

/**
 * What Fastify's `trustProxy` gets: the listed proxy addresses, else one hop
 * (`server.trustProxy`, as proxy-addr's hop function), else none. SECURITY: never `true`, which trusts
 * every hop and makes the left-most `X-Forwarded-For` entry — written by the
 * client — its address (the admin login throttle would count per address the
 * attacker chooses).
 */
export function fastifyTrustProxy(
  server: DeepReadonly<Config['server']>,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (server.trustedProxies.length > 0) return [...server.trustedProxies];
  // One hop: the peer (hop 0) is the proxy; the address it appended is the client's.
  return server.trustProxy ? (_address: string, hop: number): boolean => hop < 1 : false;
}

/** Whether a proxy the gateway trusts sits in front: its X-Forwarded-For chain is kept and extended upstream. */
export function behindTrustedProxy(server: DeepReadonly<Config['server']>): boolean {
  return server.trustProxy || server.trustedProxies.length > 0;
}
