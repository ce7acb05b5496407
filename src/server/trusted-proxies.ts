import proxyAddr from '@fastify/proxy-addr';
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

/**
 * Whether the peer connected to the gateway is a proxy it trusts: any peer
 * with `server.trustProxy` (one hop: the peer is the proxy by definition),
 * a peer listed in `server.trustedProxies` (addresses, CIDR ranges or
 * proxy-addr's names such as `loopback`, as Fastify reads them), none
 * otherwise. SECURITY: only such a peer's X-Forwarded-For chain and X-Real-IP
 * reach the application; from anyone else they are the client's own words.
 */
export function createPeerTrust(
  server: DeepReadonly<Config['server']>,
): (peer: string | undefined) => boolean {
  if (server.trustedProxies.length > 0) {
    const trusted = proxyAddr.compile([...server.trustedProxies]);
    return (peer) => peer !== undefined && trusted(peer, 0);
  }
  return () => server.trustProxy;
}
