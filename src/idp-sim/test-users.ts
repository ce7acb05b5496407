/** A user the simulator can sign in, with the facts its tokens carry. */
export interface TestUser {
  /** A short identifier, the value of the user's button on the sign-in page (`alice`). */
  readonly id: string;
  /** The user principal name, also the e-mail address (`alice@contoso.test`). */
  readonly upn: string;
  readonly displayName: string;
  readonly givenName: string;
  readonly surname: string;
  /** The directory object ID (a GUID), as Azure AD's `oid`. */
  readonly objectId: string;
  /** Group object IDs. */
  readonly groups: readonly string[];
  /** App roles (`role` in SAML, `roles` in a JWT). */
  readonly roles: readonly string[];
}

const STAFF_GROUP = '5b0f6c2e-0c4d-4b7a-9d1e-2f3a4b5c6d7e';
const ADMINS_GROUP = '8e9f0a1b-2c3d-4e5f-8a7b-6c5d4e3f2a1b';

/** Alice and Bob, two staff members, and an administrator with the `Admin` role. */
export const DEFAULT_TEST_USERS: readonly TestUser[] = Object.freeze([
  {
    id: 'alice',
    upn: 'alice@contoso.test',
    displayName: 'Alice Example',
    givenName: 'Alice',
    surname: 'Example',
    objectId: '2a7c1e34-5d6f-4a8b-9c0d-1e2f3a4b5c6d',
    groups: [STAFF_GROUP],
    roles: [],
  },
  {
    id: 'bob',
    upn: 'bob@contoso.test',
    displayName: 'Bob Sample',
    givenName: 'Bob',
    surname: 'Sample',
    objectId: '3b8d2f45-6e7a-4b9c-8d1e-2f3a4b5c6d7e',
    groups: [STAFF_GROUP],
    roles: [],
  },
  {
    id: 'admin',
    upn: 'admin@contoso.test',
    displayName: 'Ada Admin',
    givenName: 'Ada',
    surname: 'Admin',
    objectId: '4c9e3a56-7f8b-4cad-9e2f-3a4b5c6d7e8f',
    groups: [STAFF_GROUP, ADMINS_GROUP],
    roles: ['Admin'],
  },
]);

const USER_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * Checks a list of test users once, where the simulator is built.
 *
 * @throws TypeError naming the user and field that is missing, malformed or repeated.
 */
export function checkTestUsers(users: readonly TestUser[]): void {
  if (users.length === 0) throw new TypeError('users must list at least one user');
  const seen = new Set<string>();
  for (const [index, user] of users.entries()) {
    if (!USER_ID.test(user.id)) {
      throw new TypeError(`users[${index}].id must be 1-64 lowercase letters, digits, ".", "_" or "-"`);
    }
    if (seen.has(user.id)) throw new TypeError(`users[${index}].id "${user.id}" is repeated`);
    seen.add(user.id);
    for (const field of ['upn', 'displayName', 'givenName', 'surname', 'objectId'] as const) {
      if (typeof user[field] !== 'string' || user[field] === '') {
        throw new TypeError(`users[${index}].${field} must be a non-empty string`);
      }
    }
  }
}
