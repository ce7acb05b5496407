import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { verifyPassword } from '../../src/management/account-passwords.js';
import { readSecretOnTerminal, type SecretTerminal } from '../../src/cli/commands/admin.js';
import { openStore } from '../../src/store/open-store.js';
import { runInProcess, type InProcessOptions } from '../helpers/cli.js';
import { createTempDatabase, errorCode, stdoutJson, type TempDatabase } from './store-cli.js';

interface AccountJson {
  id: string;
  username: string;
  createdAt: string;
  updatedAt: string;
  lastLoginAt: string | null;
  generatedPassword?: string;
}

const PASSWORD = 'correct horse battery staple';
let db: TempDatabase;

beforeEach(() => {
  db = createTempDatabase();
});
afterEach(() => db.remove());

function admin(args: readonly string[], options: InProcessOptions = {}) {
  return runInProcess(['admin', ...args, '--db', db.path], options);
}

/** The stored account, read straight from the store (what the CLI never prints). */
async function stored(username: string) {
  const store = await openStore(db.path);
  try {
    return { account: await store.getAdminAccount(username), audit: await store.listAudit() };
  } finally {
    await store.close();
  }
}

describe('claimsgate admin', () => {
  it('creates an account from a password on standard input, storing only its scrypt hash', async () => {
    const run = await admin(['create', 'Alice', '--password-stdin', '--json'], { stdin: `${PASSWORD}\n` });
    assert.equal(run.code, 0, run.stderr);
    const account = stdoutJson<AccountJson>(run);
    assert.equal(account.username, 'alice');
    assert.equal(account.lastLoginAt, null);
    assert.equal(account.generatedPassword, undefined);
    assert.ok(!run.stdout.includes('scrypt$') && !run.stdout.includes(PASSWORD));

    const { account: record, audit } = await stored('alice');
    assert.match(record!.passwordHash, /^scrypt\$15\$8\$1\$/);
    // The trailing line break is not part of the password.
    assert.equal(await verifyPassword(PASSWORD, record!.passwordHash), true);
    assert.deepEqual(
      audit.map((entry) => [entry.action, entry.actor, entry.subject]),
      [['admin.created', 'cli:test', 'alice']],
    );
  });

  it('generates a password, prints it once, and it is the one stored', async () => {
    const run = await admin(['create', 'bob', '--generate']);
    assert.equal(run.code, 0, run.stderr);
    const printed = /: ([A-Za-z0-9]{20,})\n/.exec(run.stdout)?.[1];
    assert.ok(printed !== undefined, run.stdout);
    assert.equal(run.stdout.split(printed).length, 2, 'the password is printed exactly once');
    const { account } = await stored('bob');
    assert.equal(await verifyPassword(printed, account!.passwordHash), true);

    const json = await admin(['create', 'carol', '--generate', '--json']);
    const generated = stdoutJson<AccountJson>(json).generatedPassword;
    assert.ok(generated !== undefined && generated.length >= 20);
    assert.equal(await verifyPassword(generated, (await stored('carol')).account!.passwordHash), true);
  });

  it('refuses a weak password with CG_ADMIN_PASSWORD_WEAK and creates nothing', async () => {
    for (const password of ['Xq7#pw9', 'zzzzzzzzzzzzzzzz', 'alice@contoso.test']) {
      const run = await admin(['create', 'alice@contoso.test', '--password-stdin', '--json'], {
        stdin: password,
      });
      assert.equal(run.code, 1);
      assert.equal(errorCode(run), 'CG_ADMIN_PASSWORD_WEAK');
      assert.ok(!run.stderr.includes(password) || password === 'alice@contoso.test');
    }
    assert.equal((await stored('alice@contoso.test')).account, undefined);
  });

  it('refuses a duplicate name in any case with CG_STORE_DUPLICATE', async () => {
    assert.equal((await admin(['create', 'alice', '--generate'])).code, 0);
    const run = await admin(['create', 'ALICE', '--password-stdin', '--json'], { stdin: PASSWORD });
    assert.equal(run.code, 1);
    assert.equal(errorCode(run), 'CG_STORE_DUPLICATE');
  });

  it('refuses a malformed user name with CG_STORE_INVALID', async () => {
    const run = await admin(['create', 'alice smith', '--generate', '--json']);
    assert.equal(run.code, 1);
    assert.equal(errorCode(run), 'CG_STORE_INVALID');
  });

  it('refuses --password-stdin with --generate as a usage error', async () => {
    const run = await admin(['create', 'alice', '--password-stdin', '--generate'], { stdin: PASSWORD });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /not both/);
  });

  it('asks for --password-stdin or --generate when there is no terminal to type on', async (t) => {
    if (process.stdin.isTTY === true) return t.skip('standard input is a terminal here');
    const run = await admin(['create', 'alice']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--password-stdin/);
    assert.equal((await stored('alice')).account, undefined);
  });

  it('lists accounts without their hashes, as a table and as JSON', async () => {
    assert.equal(
      (await admin(['list'])).stdout,
      'No admin accounts. Create one with: claimsgate admin create <username>\n',
    );
    await admin(['create', 'zoe', '--generate']);
    await admin(['create', 'bob', '--generate']);
    const table = await admin(['list']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(
      table.stdout,
      /^USERNAME +CREATED +PASSWORD SET +LAST SIGN-IN\nbob .* never\nzoe .* never\n$/,
    );
    const json = await admin(['list', '--json']);
    const accounts = stdoutJson<AccountJson[]>(json);
    assert.deepEqual(
      accounts.map((account) => account.username),
      ['bob', 'zoe'],
    );
    assert.ok(!json.stdout.includes('scrypt') && !json.stdout.includes('passwordHash'));
  });

  it('sets a new password: the old one stops working, the audit entry names the change', async () => {
    await admin(['create', 'alice', '--password-stdin'], { stdin: PASSWORD });
    const run = await admin(['set-password', 'ALICE', '--password-stdin'], {
      stdin: 'a new passphrase, longer',
    });
    assert.equal(run.code, 0, run.stderr);
    const { account, audit } = await stored('alice');
    assert.equal(await verifyPassword('a new passphrase, longer', account!.passwordHash), true);
    assert.equal(await verifyPassword(PASSWORD, account!.passwordHash), false);
    assert.equal(audit.at(-1)?.action, 'admin.password-changed');

    const weak = await admin(['set-password', 'alice', '--password-stdin', '--json'], { stdin: 'alice' });
    assert.equal(errorCode(weak), 'CG_ADMIN_PASSWORD_WEAK');
    const unknown = await admin(['set-password', 'nobody', '--generate', '--json']);
    assert.equal(unknown.code, 1);
    assert.equal(errorCode(unknown), 'CG_STORE_NOT_FOUND');
  });

  it('deletes an account only when confirmed or given --yes', async () => {
    await admin(['create', 'alice', '--generate']);
    const noTerminal = await admin(['delete', 'alice', '--json']);
    assert.equal(noTerminal.code, 1);
    assert.equal(errorCode(noTerminal), 'CG_CONFIG_CONFIRMATION_REQUIRED');

    const questions: string[] = [];
    const declined = await admin(['delete', 'alice'], { confirm: false, questions });
    assert.equal(declined.code, 1);
    assert.match(questions[0]!, /Delete the admin account "alice"\?/);
    assert.notEqual((await stored('alice')).account, undefined);

    const confirmed = await admin(['delete', 'Alice'], { confirm: true });
    assert.equal(confirmed.code, 0, confirmed.stderr);
    assert.equal((await stored('alice')).account, undefined);
    assert.equal((await stored('alice')).audit.at(-1)?.action, 'admin.deleted');

    await admin(['create', 'bob', '--generate']);
    assert.equal((await admin(['delete', 'bob', '--yes'])).code, 0);
    const unknown = await admin(['delete', 'bob', '--yes', '--json']);
    assert.equal(errorCode(unknown), 'CG_STORE_NOT_FOUND');
  });

  it('documents every subcommand with examples', async () => {
    for (const command of ['create', 'list', 'set-password', 'delete']) {
      const run = await runInProcess(['admin', command, '--help']);
      assert.equal(run.code, 0);
      assert.match(run.stdout, /Examples:\n {2}claimsgate admin /);
    }
  });
});

/** A fake terminal: a TTY-like input stream recording its raw mode, and a captured output. */
function fakeTerminal(): SecretTerminal & { written: string[]; raw: boolean[]; type(text: string): void } {
  const input = Object.assign(new PassThrough(), {
    isTTY: true,
    raw: [] as boolean[],
    setRawMode(raw: boolean) {
      input.raw.push(raw);
      return input;
    },
  });
  const written: string[] = [];
  return {
    input,
    output: { write: (text: string) => written.push(text) },
    written,
    raw: input.raw,
    type: (text) => input.write(text),
  };
}

describe('typing a password on the terminal', () => {
  it('reads a line in raw mode without echoing it, honouring Backspace, Ctrl-U and escape sequences', async () => {
    const terminal = fakeTerminal();
    const answer = readSecretOnTerminal('Password: ', terminal);
    terminal.type('wrong');
    terminal.type('\u0015');
    terminal.type('secreX\u007ft');
    terminal.type('\u001b[A');
    terminal.type(' passphrase\r');
    assert.equal(await answer, 'secret passphrase');
    assert.deepEqual(terminal.raw, [true, false]);
    assert.deepEqual(terminal.written, ['Password: ', '\n']);
  });

  it('gives null when the user cancels, and undefined without a terminal', async () => {
    const terminal = fakeTerminal();
    const cancelled = readSecretOnTerminal('Password: ', terminal);
    terminal.type('abc\u0003');
    assert.equal(await cancelled, null);
    assert.deepEqual(terminal.raw, [true, false]);
    const piped = new PassThrough();
    assert.equal(
      await readSecretOnTerminal('Password: ', { input: piped, output: { write: () => true } }),
      undefined,
    );
  });
});
