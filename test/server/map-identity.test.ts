import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapIdentity } from '../../src/server/map-identity.js';
import { createSessionCookies } from '../../src/session/session-cookie.js';
import type { IssuerRecord } from '../../src/store/model.js';
import type { VerifiedIdentity } from '../../src/tokens/identity.js';
import { T0, testRing } from '../session/keys.js';

const HOUR_MS = 3_600_000;

const issuer = {
  id: 'issuer-1',
  name: 'contoso',
  label: 'CONTOSO',
  issuerUri: 'https://sts.contoso.test/',
} as IssuerRecord;

function identityIssuedAt(issuedAt: Date): VerifiedIdentity {
  return {
    kind: 'wsfed-saml20',
    issuer: issuer.issuerUri,
    trustedIssuer: issuer.issuerUri,
    subject: 'bob@contoso.test',
    subjectFormat: undefined,
    claims: {},
    tokenId: '_t1',
    issuedAt,
    notBefore: issuedAt,
    notOnOrAfter: new Date(T0.getTime() + HOUR_MS),
    audiences: ['https://rp.test/'],
    signingKey: { sha1: undefined, sha256: undefined, kid: undefined },
    inResponseTo: undefined,
    sessionIndex: undefined,
  };
}

describe('mapIdentity and the session lifetime', () => {
  const cookies = createSessionCookies({
    ring: testRing('k1'),
    secure: true,
    absoluteLifetimeSeconds: 8 * 3600,
    now: () => T0,
  });

  for (const [what, issuedAt] of [
    ['nine hours before the sign-in', new Date(T0.getTime() - 9 * HOUR_MS)],
    ['in the year 2100', new Date('2100-01-01T00:00:00Z')],
  ] as const) {
    it(`starts the session at the sign-in, not at a token issue instant ${what}`, () => {
      const session = mapIdentity(identityIssuedAt(issuedAt), issuer, undefined);
      assert.equal(session.authenticatedAt, undefined);
      const cookie = cookies.issue(session);
      const { session: opened } = cookies.read(cookie.value);
      assert.equal(opened.authenticatedAt.getTime(), T0.getTime());
      assert.equal(opened.expiresAt.getTime(), T0.getTime() + 8 * HOUR_MS);
    });
  }
});
