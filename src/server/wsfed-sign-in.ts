import { ClaimsgateError } from '../lib/errors.js';
import type { TokenKind } from '../tokens/identity.js';
import type { GatewayServices } from './gateway-services.js';
import { findGatewayRealm } from './login-options.js';
import { formField } from './request-fields.js';
import type { SignInStrategy } from './sign-in-strategy.js';

/** The issuer's WS-Federation sign-in URL: its login URL with wa, wtrealm, wreply and wctx set. */
function wsFedSignInUrl(loginUrl: string, realmUri: string, wreply: string, wctx: string): string {
  const url = new URL(loginUrl);
  url.searchParams.set('wa', 'wsignin1.0');
  url.searchParams.set('wtrealm', realmUri);
  url.searchParams.set('wreply', wreply);
  url.searchParams.set('wctx', wctx);
  return url.href;
}

/**
 * The token kinds `/signin/wsfed` accepts: a RequestSecurityTokenResponse
 * (or a collection of one, or in a SOAP body) carrying a SAML 1.1 or 2.0
 * assertion.
 *
 * SECURITY: the validator also takes a samlp:Response, a bare assertion or
 * a JWT, and a samlp:Response posted here would skip the InResponseTo,
 * Recipient and Destination checks its own endpoint (/signin/saml2) makes.
 * The pipeline's validator refuses another kind (CG_TOKEN_FORMAT_UNKNOWN) as
 * soon as it has parsed and located it, so such a token touches no replay
 * cache and triggers no key refresh, and the wresult is parsed once.
 *
 * @see WS-Federation 1.2 §13.2.3 (wresult)
 */
const WSFED_TOKEN_KINDS: readonly TokenKind[] = Object.freeze(['wsfed-saml11', 'wsfed-saml20']);

/**
 * WS-Federation passive sign-in, as a strategy of the sign-in pipeline.
 * `start` redirects to the issuer's login URL with `wa=wsignin1.0`,
 * `wtrealm`, `wreply` and a sealed, single-use `wctx`; the issuer posts
 * `wresult` and `wctx` to `/signin/wsfed`, where the pipeline checks the
 * state and the strategy reads the wresult, addressed to the realm, its
 * bearer confirmations (when it has any) naming this callback.
 *
 * @see WS-Federation 1.2 §13.2 (wsignin1.0, wresult, wctx)
 */
export function createWsFedSignIn(services: GatewayServices): SignInStrategy {
  const { config, directory, signInState } = services;
  const publicUrl = config.server.publicUrl;
  const callbackUrl = `${publicUrl}/signin/wsfed`;
  return {
    protocol: 'wsfed',
    callbackPath: '/signin/wsfed',
    stateField: 'wctx',
    statePurpose: 'wctx',
    acceptedKinds: WSFED_TOKEN_KINDS,
    async readAnswer({ request }) {
      const realm = await findGatewayRealm(directory, publicUrl);
      return {
        token: formField(request, 'wresult') ?? '',
        audiences: [realm.realmUri],
        // The reply URL is the recipient a WS-Fed assertion may name (SECURITY: not /signin/saml2).
        recipient: callbackUrl,
      };
    },
    async start({ reply, issuer, realm, returnUrl, bindingDigest }) {
      if (issuer.loginUrl === null) {
        throw new ClaimsgateError(
          'CG_CONFIG_SIGN_IN_UNAVAILABLE',
          `Issuer ${issuer.name} has no login URL.`,
          {
            hint: `Set it: claimsgate issuers edit ${issuer.name} --login-url <the issuer's WS-Federation passive endpoint>`,
            detail: { issuer: issuer.name, expected: 'a login URL' },
          },
        );
      }
      const wctx = signInState.encode(
        { returnUrl, issuerName: issuer.name, protocol: 'wsfed', bindingDigest },
        'wctx',
      );
      return reply
        .header('cache-control', 'no-store')
        .redirect(wsFedSignInUrl(issuer.loginUrl, realm.realmUri, callbackUrl, wctx), 302);
    },
  };
}
