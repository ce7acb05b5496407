import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { runInProcess, runProcess, type InProcessOptions } from '../helpers/cli.js';
import { openStore } from '../../src/store/open-store.js';
import { readFixture } from '../helpers/fixtures.js';
import { startMetadataServer, type MetadataServer } from '../helpers/metadata-server.js';
import {
  ADFS_ISSUER,
  ADFS_METADATA,
  ADFS_SIGNING_NOT_AFTER,
  ADFS_SIGNING_SHA1,
  ADFS_VALID_AT,
  createTempDatabase,
  errorCode,
  serveAdfsMetadata,
  stdoutJson,
  type TempDatabase,
} from './store-cli.js';

interface IssuerJson {
  id: string;
  name: string;
  issuerUri: string;
  label: string;
  protocols: string[];
  metadataUrl: string | null;
  loginUrl: string | null;
  allowSha1: boolean;
  refreshIntervalSeconds: number;
  signaturePolicy: { mode: string; pinnedSigners?: string[] };
  version: number;
}

interface KeyJson {
  sha1: string | null;
  state: string;
  source: string;
  daysLeft: number | null;
}

let server: MetadataServer;
let db: TempDatabase;

/** A run at {@link ADFS_VALID_AT}, while the AD FS fixture's certificate is valid, unless `now` says otherwise. */
function cli(args: readonly string[], options: InProcessOptions = {}) {
  return runInProcess(args, { now: ADFS_VALID_AT, ...options });
}

before(async () => {
  server = await serveAdfsMetadata();
});
after(() => server.close());
beforeEach(() => {
  db = createTempDatabase();
  server.setMode({ kind: 'document', body: ADFS_METADATA });
});
afterEach(() => db.remove());

const TODAY = new Date('2026-11-29T12:00:00Z');

function ADD_ADFS(): string[] {
  return ['issuers', 'add', 'adfs', '--metadata-url', server.url, '--db', db.path];
}

/** The detail of the coded error a `--json` run printed on stderr. */
function errorDetail(run: { stderr: string }): { observed?: unknown } {
  return (JSON.parse(run.stderr) as { error: { detail: { observed?: unknown } } }).error.detail;
}

async function addAdfs(...extra: string[]) {
  return cli(['issuers', 'add', 'adfs', '--metadata-url', server.url, '--db', db.path, ...extra]);
}

async function listIssuers(): Promise<Array<IssuerJson & { usableKeys: number }>> {
  return stdoutJson(await cli(['issuers', 'list', '--db', db.path, '--json']));
}

describe('claimsgate issuers add', () => {
  it('previews the metadata, then with --yes stores the issuer and its keys with their audit entries', async () => {
    const run = await addAdfs('--yes');
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.stdout.indexOf(ADFS_SIGNING_SHA1) < run.stdout.indexOf('Created issuer'));
    const [issuer] = await listIssuers();
    assert.equal(issuer?.issuerUri, ADFS_ISSUER);
    assert.equal(issuer.loginUrl, 'https://fs.msidlab11.com/adfs/ls/');
    assert.deepEqual(issuer.protocols, ['wsfed', 'saml2']);
    assert.equal(issuer.usableKeys, 1);
    const audit = stdoutJson<Array<{ action: string; actor: string; issuer: string; subject: string }>>(
      await cli(['audit', '--db', db.path, '--json']),
    );
    assert.deepEqual(
      audit.filter((entry) => entry.action === 'issuer.created').map((entry) => [entry.actor, entry.issuer]),
      [['cli:test', 'adfs']],
    );
    assert.deepEqual(
      audit.filter((entry) => entry.action === 'key.added').map((entry) => entry.subject),
      [ADFS_SIGNING_SHA1],
    );
  });

  it('prints the issuer, the first refresh and the stored keys as JSON', async () => {
    const run = await addAdfs('--yes', '--json', '--label', 'FS', '--allow-sha1');
    assert.equal(run.code, 0, run.stderr);
    const out = stdoutJson<{ issuer: IssuerJson; refresh: { outcome: string }; keys: KeyJson[] }>(run);
    assert.equal(out.issuer.label, 'FS');
    assert.equal(out.issuer.allowSha1, true);
    assert.equal(out.refresh.outcome, 'success');
    assert.deepEqual(
      out.keys.map((key) => [key.sha1, key.source, key.state]),
      [[ADFS_SIGNING_SHA1, 'metadata', 'announced']],
    );
  });

  it('refuses without --yes when there is no terminal to ask on, and stores nothing', async () => {
    const run = await addAdfs('--json');
    assert.equal(run.code, 1);
    assert.equal(errorCode(run), 'CG_CONFIG_CONFIRMATION_REQUIRED');
    assert.deepEqual(await listIssuers(), []);
  });

  it('stores nothing when the question is answered no, and everything when it is answered yes', async () => {
    const questions: string[] = [];
    const declined = await cli(['issuers', 'add', 'adfs', '--metadata-url', server.url, '--db', db.path], {
      confirm: false,
      questions,
    });
    assert.equal(declined.code, 1);
    assert.equal(questions.length, 1);
    assert.deepEqual(await listIssuers(), []);
    const accepted = await cli(['issuers', 'add', 'adfs', '--metadata-url', server.url, '--db', db.path], {
      confirm: true,
    });
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.equal((await listIssuers()).length, 1);
  });

  it('refuses AD FS metadata whose only certificate has expired (today), naming it, before asking, and stores nothing', async () => {
    const questions: string[] = [];
    const run = await cli(['issuers', 'add', 'adfs', '--metadata-url', server.url, '--db', db.path], {
      now: TODAY,
      confirm: true,
      questions,
    });
    assert.equal(run.code, 1);
    assert.deepEqual(questions, []);
    const json = await cli([...ADD_ADFS(), '--yes', '--json'], { now: TODAY });
    assert.equal(errorCode(json), 'CG_META_SIGNING_KEYS_EXPIRED');
    assert.deepEqual(errorDetail(json).observed, [
      {
        key: ADFS_SIGNING_SHA1,
        subject: 'CN=ADFS Signing - fs.msidlab11.com',
        notAfter: ADFS_SIGNING_NOT_AFTER,
      },
    ]);
    assert.deepEqual(await listIssuers(), []);
    assert.deepEqual(stdoutJson(await cli(['audit', '--db', db.path, '--json'])), []);
  });

  it('creates the issuer from the very document it showed: one fetch, so a failing endpoint cannot leave it without keys', async () => {
    let fetches = 0;
    const once: typeof globalThis.fetch = (input, init) => {
      fetches += 1;
      return fetches === 1 ? globalThis.fetch(input, init) : Promise.reject(new TypeError('fetch failed'));
    };
    const run = await cli([...ADD_ADFS(), '--yes', '--json'], { fetch: once });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(fetches, 1);
    const out = stdoutJson<{ refresh: { outcome: string }; keys: KeyJson[] }>(run);
    assert.equal(out.refresh.outcome, 'success');
    assert.deepEqual(
      out.keys.map((key) => [key.sha1, key.state]),
      [[ADFS_SIGNING_SHA1, 'announced']],
    );
    const audit = stdoutJson<Array<{ action: string }>>(await cli(['audit', '--db', db.path, '--json']));
    assert.deepEqual(
      audit.map((entry) => entry.action).filter((action) => !action.startsWith('alert.')),
      ['issuer.created', 'metadata.updated', 'key.added'],
    );
  });

  it('stores neither the issuer nor its keys when the issuer cannot be created', async () => {
    const other = await cli(['issuers', 'add', 'other', '--issuer-uri', ADFS_ISSUER, '--db', db.path]);
    assert.equal(other.code, 0, other.stderr);
    const run = await addAdfs('--yes', '--json');
    assert.equal(errorCode(run), 'CG_STORE_DUPLICATE');
    assert.deepEqual(
      (await listIssuers()).map((issuer) => [issuer.name, issuer.usableKeys]),
      [['other', 0]],
    );
  });

  it('refuses a name that is taken before fetching or asking', async () => {
    assert.equal((await addAdfs('--yes')).code, 0);
    const requests = server.requests();
    const run = await addAdfs('--json');
    assert.equal(errorCode(run), 'CG_STORE_DUPLICATE');
    assert.equal(server.requests(), requests);
  });

  it('refuses metadata whose signer is not the pinned one, and stores nothing', async () => {
    const run = await addAdfs('--yes', '--json', '--pin-signer', '00'.repeat(20));
    assert.equal(run.code, 1);
    assert.equal(errorCode(run), 'CG_META_SIGNER_NOT_PINNED');
    assert.deepEqual(await listIssuers(), []);
  });

  it('adds a manual-only issuer from --issuer-uri, and needs one of --issuer-uri and --metadata-url', async () => {
    const usage = await cli(['issuers', 'add', 'legacy', '--db', db.path]);
    assert.equal(usage.code, 2);
    const run = await cli([
      'issuers',
      'add',
      'legacy',
      '--issuer-uri',
      'urn:legacy',
      '--db',
      db.path,
      '--json',
    ]);
    assert.equal(run.code, 0, run.stderr);
    const out = stdoutJson<{ issuer: IssuerJson; refresh: null; keys: KeyJson[] }>(run);
    assert.equal(out.issuer.metadataUrl, null);
    assert.equal(out.refresh, null);
    assert.deepEqual(out.keys, []);
  });

  it('refuses a bad option value as a usage error', async () => {
    for (const args of [
      ['--protocol', 'ldap'],
      ['--refresh-interval', 'soon'],
      ['--signature-policy', 'strict'],
      ['--signature-policy', 'pinned'],
    ]) {
      const run = await cli(['issuers', 'add', 'x', '--issuer-uri', 'urn:x', '--db', db.path, ...args]);
      assert.equal(run.code, 2, args.join(' '));
    }
    assert.deepEqual(await listIssuers(), []);
  });

  it('takes the database from CLAIMSGATE_DATABASE_URL when --db is not given', async () => {
    const env = { CLAIMSGATE_DATABASE_URL: db.path };
    const run = await cli(['issuers', 'add', 'legacy', '--issuer-uri', 'urn:legacy'], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      (await listIssuers()).map((issuer) => issuer.name),
      ['legacy'],
    );
  });
});

describe('claimsgate issuers list, show, edit, remove', () => {
  beforeEach(async () => {
    const run = await addAdfs('--yes');
    assert.equal(run.code, 0, run.stderr);
  });

  it('lists the issuers with their usable keys and last refresh as a table', async () => {
    const run = await cli(['issuers', 'list', '--db', db.path]);
    assert.equal(run.code, 0, run.stderr);
    const [header, row] = run.stdout.trimEnd().split('\n');
    assert.match(header ?? '', /^NAME +ISSUER URI +PROTOCOLS +KEYS +METADATA URL +LAST REFRESH$/);
    assert.match(
      row ?? '',
      /^adfs +http:\/\/fs\.msidlab11\.com\/adfs\/services\/trust +wsfed,saml2 +1 +http:\/\/127\.0\.0\.1:\d+\S+ +success 2017-06-01T12:00:00Z$/,
    );
  });

  it('shows an issuer with its keys, refresh state and mappings as JSON', async () => {
    const run = await cli(['issuers', 'show', 'adfs', '--db', db.path, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const out = stdoutJson<{
      issuer: IssuerJson;
      keys: KeyJson[];
      refresh: { lastOutcome: string; consecutiveFailures: number };
      mappings: unknown[];
    }>(run);
    assert.equal(out.issuer.name, 'adfs');
    assert.deepEqual(
      out.keys.map((key) => [key.sha1, key.daysLeft]),
      [[ADFS_SIGNING_SHA1, 236]],
    );
    assert.equal(out.refresh.lastOutcome, 'success');
    assert.deepEqual(out.mappings, []);
  });

  it('shows the claim types (never values) of the last accepted token, to write a mapping from', async () => {
    const before = stdoutJson<{ lastTokenClaims: unknown }>(
      await cli(['issuers', 'show', 'adfs', '--db', db.path, '--json']),
    );
    assert.equal(before.lastTokenClaims, null);
    const store = await openStore(db.path);
    const issuer = (await store.getIssuer('adfs'))!;
    await store.recordTokenClaimTypes(
      issuer.id,
      ['upn', 'http://schemas.example.test/claims/groups'],
      ADFS_VALID_AT,
    );
    await store.close();
    const run = await cli(['issuers', 'show', 'adfs', '--db', db.path]);
    assert.match(
      run.stdout,
      /Claim types of the last accepted token \(2, since 2017-06-01T12:00:00Z\):\n {2}http:\/\/schemas\.example\.test\/claims\/groups\n {2}upn/,
    );
    const json = stdoutJson<{ lastTokenClaims: { claimTypes: string[] } }>(
      await cli(['issuers', 'show', 'adfs', '--db', db.path, '--json']),
    );
    assert.deepEqual(json.lastTokenClaims.claimTypes, ['http://schemas.example.test/claims/groups', 'upn']);
  });

  it('reports an unknown issuer with CG_STORE_NOT_FOUND', async () => {
    const run = await cli(['issuers', 'show', 'nobody', '--db', db.path, '--json']);
    assert.equal(run.code, 1);
    assert.equal(errorCode(run), 'CG_STORE_NOT_FOUND');
  });

  it('changes only the settings given', async () => {
    const run = await cli([
      'issuers',
      'edit',
      'adfs',
      '--label',
      'FS',
      '--refresh-interval',
      '900',
      '--pin-signer',
      ADFS_SIGNING_SHA1.toLowerCase(),
      '--db',
      db.path,
      '--json',
    ]);
    assert.equal(run.code, 0, run.stderr);
    const issuer = stdoutJson<IssuerJson>(run);
    assert.equal(issuer.label, 'FS');
    assert.equal(issuer.refreshIntervalSeconds, 900);
    assert.deepEqual(issuer.signaturePolicy, { mode: 'pinned', pinnedSigners: [ADFS_SIGNING_SHA1] });
    assert.equal(issuer.issuerUri, ADFS_ISSUER);
    assert.equal(issuer.version, 2);
    const none = await cli(['issuers', 'edit', 'adfs', '--db', db.path]);
    assert.equal(none.code, 2);
  });

  it('replaces the allowed tenants with --tenant and clears them with --tenant "" or --no-tenant', async () => {
    const edit = async (...args: string[]) => {
      const run = await cli(['issuers', 'edit', 'adfs', ...args, '--db', db.path, '--json']);
      assert.equal(run.code, 0, run.stderr);
      return stdoutJson<{ allowedTenants: string[] }>(run).allowedTenants;
    };
    assert.deepEqual(await edit('--tenant', 'tenant-a', '--tenant', 'tenant-b'), ['tenant-a', 'tenant-b']);
    assert.deepEqual(await edit('--tenant', ''), []);
    assert.deepEqual(await edit('--tenant', 'tenant-c'), ['tenant-c']);
    assert.deepEqual(await edit('--no-tenant'), []);
  });

  it('removes an issuer only when confirmed', async () => {
    const refused = await cli(['issuers', 'remove', 'adfs', '--db', db.path, '--json']);
    assert.equal(errorCode(refused), 'CG_CONFIG_CONFIRMATION_REQUIRED');
    assert.equal((await listIssuers()).length, 1);
    const run = await cli(['issuers', 'remove', 'adfs', '--yes', '--db', db.path, '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(stdoutJson<{ removed: IssuerJson; keys: number }>(run).keys, 1);
    assert.deepEqual(await listIssuers(), []);
  });
});

describe('claimsgate issuers remove and the realms that name the issuer', () => {
  beforeEach(async () => {
    assert.equal((await addAdfs('--yes')).code, 0);
    const legacy = await cli(['issuers', 'add', 'legacy', '--issuer-uri', 'urn:legacy', '--db', db.path]);
    assert.equal(legacy.code, 0, legacy.stderr);
  });

  async function addRealm(uri: string, ...extra: string[]): Promise<void> {
    const run = await cli([
      'realms',
      'add',
      uri,
      '--reply-url',
      'https://app.example/signin',
      '--db',
      db.path,
      ...extra,
    ]);
    assert.equal(run.code, 0, run.stderr);
  }

  it('says in the question which realms stop naming the issuer, and updates them with the removal', async () => {
    await addRealm(
      'urn:app:one',
      '--home-realm',
      'adfs',
      '--allow-issuer',
      'adfs',
      '--allow-issuer',
      'legacy',
    );
    await addRealm('urn:app:two', '--allow-issuer', 'legacy');
    const questions: string[] = [];
    const declined = await cli(['issuers', 'remove', 'adfs', '--db', db.path], { confirm: false, questions });
    assert.equal(declined.code, 1);
    assert.match(
      questions[0] ?? '',
      /Realm urn:app:one: its home realm is cleared, so its users choose their issuer; it no longer allows this issuer \(it still allows legacy\)\./,
    );
    assert.doesNotMatch(questions[0] ?? '', /urn:app:two/);

    const run = await cli(['issuers', 'remove', 'adfs', '--yes', '--db', db.path, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const out = stdoutJson<{
      realms: Array<{ realmUri: string; homeRealmCleared: boolean; remainingAllowedIssuers: string[] }>;
    }>(run);
    assert.deepEqual(
      out.realms.map((realm) => [realm.realmUri, realm.homeRealmCleared, realm.remainingAllowedIssuers]),
      [['urn:app:one', true, ['legacy']]],
    );
    const realm = stdoutJson<{ homeRealm: string | null; allowedIssuers: string[] }>(
      await cli(['realms', 'show', 'urn:app:one', '--db', db.path, '--json']),
    );
    assert.equal(realm.homeRealm, null);
    assert.deepEqual(realm.allowedIssuers, ['legacy']);
  });

  it('refuses, before asking, to remove the only issuer a realm allows, naming the realm', async () => {
    await addRealm('urn:app:only', '--allow-issuer', 'adfs');
    const questions: string[] = [];
    const run = await cli(['issuers', 'remove', 'adfs', '--db', db.path, '--json'], {
      confirm: true,
      questions,
    });
    assert.equal(errorCode(run), 'CG_STORE_REFERENCED');
    assert.deepEqual(errorDetail(run).observed, 'adfs');
    assert.match(run.stderr, /urn:app:only/);
    assert.deepEqual(questions, []);
    assert.equal((await listIssuers()).length, 2);
  });
});

describe('claimsgate issuers and labels', () => {
  it('refuses a label another issuer uses, whatever its case, naming that issuer', async () => {
    assert.equal((await addAdfs('--yes', '--label', 'SIM')).code, 0);
    const run = await cli([
      'issuers',
      'add',
      'partner',
      '--issuer-uri',
      'urn:partner',
      '--label',
      'sim',
      '--db',
      db.path,
      '--json',
    ]);
    assert.equal(errorCode(run), 'CG_STORE_DUPLICATE');
    assert.equal(errorDetail(run).observed, 'sim');
    assert.deepEqual(
      (await listIssuers()).map((issuer) => issuer.name),
      ['adfs'],
    );
  });

  it('flags two issuers that share a label in a store written before labels were unique, until one is relabelled', async () => {
    assert.equal((await addAdfs('--yes', '--label', 'SIM')).code, 0);
    const partner = await cli([
      'issuers',
      'add',
      'partner',
      '--issuer-uri',
      'urn:partner',
      '--label',
      'PARTNER',
      '--db',
      db.path,
    ]);
    assert.equal(partner.code, 0, partner.stderr);
    // What an older release let through: a second issuer with the same label.
    const raw = new BetterSqlite3(db.path);
    raw.prepare("UPDATE issuers SET label = 'sim' WHERE name = 'partner'").run();
    raw.close();

    const list = await cli(['issuers', 'list', '--db', db.path]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(
      list.stdout,
      /warning: issuers adfs, partner share the label SIM: their sign-ins are refused \(CG_TRUST_LABEL_SHARED\)/,
    );
    const json = stdoutJson<Array<{ name: string; labelSharedWith: string[] }>>(
      await cli(['issuers', 'list', '--db', db.path, '--json']),
    );
    assert.deepEqual(
      json.map((issuer) => [issuer.name, issuer.labelSharedWith]),
      [
        ['adfs', ['partner']],
        ['partner', ['adfs']],
      ],
    );
    const show = await cli(['issuers', 'show', 'partner', '--db', db.path]);
    assert.match(
      show.stdout,
      /Label: +sim \(SHARED with adfs: sign-ins refused until each issuer has its own label\)/,
    );

    // The store opens and stays writable; relabelling resolves it.
    const fixed = await cli(['issuers', 'edit', 'partner', '--label', 'PARTNER', '--db', db.path]);
    assert.equal(fixed.code, 0, fixed.stderr);
    const after = stdoutJson<Array<{ labelSharedWith: string[] }>>(
      await cli(['issuers', 'list', '--db', db.path, '--json']),
    );
    assert.deepEqual(
      after.map((issuer) => issuer.labelSharedWith),
      [[], []],
    );
  });
});

describe('claimsgate issuers and e-mail domains', () => {
  const manual = (name: string, ...extra: string[]) =>
    cli(['issuers', 'add', name, '--issuer-uri', `urn:${name}`, '--db', db.path, '--json', ...extra]);
  const edit = async (name: string, ...args: string[]) => {
    const run = await cli(['issuers', 'edit', name, ...args, '--db', db.path, '--json']);
    assert.equal(run.code, 0, run.stderr);
    return stdoutJson<{ domains: string[] }>(run).domains;
  };

  it('adds an issuer with repeated --domain, stored normalised, and shows them', async () => {
    const run = await manual('contoso', '--domain', 'Contoso.COM', '--domain', 'bücher.example.');
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(stdoutJson<{ issuer: { domains: string[] } }>(run).issuer.domains, [
      'contoso.com',
      'xn--bcher-kva.example',
    ]);
    const shown = await cli(['issuers', 'show', 'contoso', '--db', db.path]);
    assert.match(shown.stdout, /^E-mail domains: {3}contoso\.com, xn--bcher-kva\.example$/m);
  });

  it('replaces the domains with --domain and clears them with --domain "" or --no-domain', async () => {
    assert.equal((await manual('contoso')).code, 0);
    assert.deepEqual(await edit('contoso', '--domain', 'a.example', '--domain', 'b.example'), [
      'a.example',
      'b.example',
    ]);
    assert.deepEqual(await edit('contoso', '--domain', ''), []);
    assert.deepEqual(await edit('contoso', '--domain', 'c.example'), ['c.example']);
    assert.deepEqual(await edit('contoso', '--no-domain'), []);
  });

  it('refuses a domain that is not a DNS name, and one another issuer holds, naming that issuer', async () => {
    const invalid = await manual('contoso', '--domain', 'bob@contoso.com');
    assert.equal(errorCode(invalid), 'CG_STORE_INVALID');
    assert.equal(invalid.code, 1);
    assert.equal((await manual('contoso', '--domain', 'contoso.com')).code, 0);
    const taken = await manual('other', '--domain', 'CONTOSO.com');
    assert.equal(errorCode(taken), 'CG_STORE_DUPLICATE');
    assert.match(taken.stderr, /contoso\.com.*already belongs to issuer \\?"contoso\\?"/);
    assert.deepEqual(
      (await listIssuers()).map((issuer) => issuer.name),
      ['contoso'],
    );
  });

  it('documents --domain and --no-domain in the help of add and edit', async () => {
    const add = await cli(['issuers', 'add', '--help']);
    assert.match(add.stdout, /--domain <domain>\s+an e-mail domain whose users it signs in/);
    const editHelp = await cli(['issuers', 'edit', '--help']);
    assert.match(editHelp.stdout, /--domain <domain>[\s\S]*replaces the list/);
    assert.match(editHelp.stdout, /--no-domain\s+clear its e-mail domains/);
  });
});

describe('claimsgate issuers refresh', () => {
  beforeEach(async () => {
    const run = await addAdfs('--yes');
    assert.equal(run.code, 0, run.stderr);
  });

  it('refreshes an issuer now and prints the outcome', async () => {
    const run = await cli(['issuers', 'refresh', 'adfs', '--db', db.path, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const [result] = stdoutJson<Array<{ issuer: string; outcome: string; code: string | null }>>(run);
    assert.equal(result?.issuer, 'adfs');
    assert.equal(result.outcome, 'not-modified');
    assert.equal(result.code, null);
  });

  it('exits 1 with the code when a refresh fails, and keeps the last-known-good key', async () => {
    server.setMode({ kind: 'status', status: 500 });
    const run = await cli(['issuers', 'refresh', '--all', '--db', db.path, '--json']);
    assert.equal(run.code, 1);
    const [result] = stdoutJson<Array<{ outcome: string; code: string }>>(run);
    assert.equal(result?.outcome, 'failure');
    assert.equal(result.code, 'CG_META_HTTP_STATUS');
    assert.equal((await listIssuers())[0]?.usableKeys, 1);
  });

  it('needs an issuer name or --all', async () => {
    assert.equal((await cli(['issuers', 'refresh', '--db', db.path])).code, 2);
    assert.equal((await cli(['issuers', 'refresh', 'adfs', '--all', '--db', db.path])).code, 2);
  });

  it('lists the issuers as JSON when run as a real process', () => {
    const run = runProcess(['issuers', 'list', '--db', db.path, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const issuers = JSON.parse(run.stdout) as Array<{ name: string; usableKeys: number }>;
    assert.deepEqual(
      issuers.map((issuer) => [issuer.name, issuer.usableKeys]),
      [['adfs', 1]],
    );
  });
});

describe('claimsgate issuers add with Azure AD tenant metadata whose certificates expire one after the other', () => {
  const AAD_ISSUER = 'https://sts.windows.net/8bd6e98d-e212-4022-b13f-a244fab4c253/';
  // 92B8… is valid 2014-01-01 to 2016-01-01, 3270… 2014-10-28 to 2016-10-27.
  const FIRST = '92B88C3DD981BF1EBCB244FCFA63C007706C79E0';
  const SECOND = '3270BF5597004DF339A4E62224731B6BD82810A6';
  let aad: MetadataServer;

  before(async () => {
    aad = await startMetadataServer({
      kind: 'document',
      body: readFixture('metadata/aad-tenant.federationmetadata.xml').toString('utf8'),
    });
  });
  after(() => aad.close());

  function addAad(now: Date, ...extra: string[]) {
    return cli(['issuers', 'add', 'aad', '--metadata-url', aad.url, '--db', db.path, ...extra], { now });
  }

  async function storedKeys(): Promise<Array<[string | null, string]>> {
    const out = stdoutJson<{ keys: KeyJson[] }>(
      await cli(['issuers', 'show', 'aad', '--db', db.path, '--json']),
    );
    return out.keys.map((key) => [key.sha1, key.state]);
  }

  it('trusts both while both are valid', async () => {
    const run = await addAad(new Date('2015-06-01T00:00:00Z'), '--yes');
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual((await storedKeys()).sort(), [
      [SECOND, 'announced'],
      [FIRST, 'announced'],
    ]);
  });

  it('shows and stores the expired one as expired, never trusted, and trusts the other', async () => {
    const questions: string[] = [];
    const run = await cli(['issuers', 'add', 'aad', '--metadata-url', aad.url, '--db', db.path], {
      now: new Date('2016-06-01T00:00:00Z'),
      confirm: true,
      questions,
    });
    assert.equal(run.code, 0, run.stderr);
    const row = (sha1: string): string => run.stdout.split('\n').find((line) => line.startsWith(sha1)) ?? '';
    assert.match(row(FIRST), /expired \(never trusted\)/);
    assert.match(row(SECOND), /announced \(trusted\)/);
    assert.deepEqual(questions, ['Trust this signing key for issuer "aad"?']);
    assert.deepEqual((await storedKeys()).sort(), [
      [SECOND, 'announced'],
      [FIRST, 'expired'],
    ]);
    const [issuer] = await listIssuers();
    assert.equal(issuer?.issuerUri, AAD_ISSUER);
    assert.equal(issuer.usableKeys, 1);
  });

  it('refuses it once both have expired, naming both, and stores nothing', async () => {
    const run = await addAad(TODAY, '--yes', '--json');
    assert.equal(errorCode(run), 'CG_META_SIGNING_KEYS_EXPIRED');
    assert.deepEqual(
      (errorDetail(run).observed as Array<{ key: string; notAfter: string }>).map((key) => [
        key.key,
        key.notAfter,
      ]),
      [
        [FIRST, '2016-01-01T07:00:00.000Z'],
        [SECOND, '2016-10-27T00:00:00.000Z'],
      ],
    );
    assert.deepEqual(await listIssuers(), []);
  });
});
