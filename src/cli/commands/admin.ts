import { StringDecoder } from 'node:string_decoder';
import type { Command } from 'commander';
import { checkPasswordStrength, generatePassword, hashPassword } from '../../management/account-passwords.js';
import { ClaimsgateError } from '../../lib/errors.js';
import type { AdminAccountRecord } from '../../store/model.js';
import { notFoundError } from '../../store/store-errors.js';
import { normalizeAdminUsername } from '../../store/validate-admin-input.js';
import { confirmChange } from '../confirm-change.js';
import { withStore } from '../open-cli-store.js';
import { EXIT, formatInstant, renderTable, toJson, type CliIo } from '../output.js';
import { runAction, type CliContext } from '../run-action.js';
import { addStoreOptions, storeExamples, usage, type StoreOptions } from './store-options.js';

interface PasswordOptions extends StoreOptions {
  readonly passwordStdin: boolean;
  readonly generate: boolean;
}

interface DeleteOptions extends StoreOptions {
  readonly yes: boolean;
}

/** An admin account as the CLI shows it. SECURITY: without its password hash. */
export interface AdminAccountView {
  readonly id: string;
  readonly username: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly lastLoginAt: Date | null;
}

function viewAccount(account: AdminAccountRecord): AdminAccountView {
  return {
    id: account.id,
    username: account.username,
    createdAt: account.createdAt,
    updatedAt: account.updatedAt,
    lastLoginAt: account.lastLoginAt,
  };
}

/** The terminal a password is typed on: a TTY input that can be put in raw mode (no echo). */
export interface SecretTerminal {
  readonly input: NodeJS.ReadableStream & { readonly isTTY?: boolean; setRawMode?(raw: boolean): unknown };
  readonly output: { write(text: string): unknown };
}

/**
 * Asks for a secret on a terminal without echoing it: the input is put in
 * raw mode, Backspace deletes, Ctrl-U clears, Enter ends; escape sequences
 * (arrow keys) are ignored. Resolves `undefined` without asking when the
 * input is not a TTY, and `null` when the user cancels (Ctrl-C, or Ctrl-D on
 * an empty line).
 */
export function readSecretOnTerminal(
  question: string,
  terminal: SecretTerminal = { input: process.stdin, output: process.stderr },
): Promise<string | null | undefined> {
  const { input, output } = terminal;
  if (input.isTTY !== true || typeof input.setRawMode !== 'function') return Promise.resolve(undefined);
  const setRawMode = input.setRawMode.bind(input);
  return new Promise((resolve) => {
    const decoder = new StringDecoder('utf8');
    let secret = '';
    const finish = (value: string | null): void => {
      input.removeListener('data', onData);
      setRawMode(false);
      input.pause();
      output.write('\n');
      resolve(value);
    };
    const onData = (chunk: Buffer | string): void => {
      const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
      for (const character of text) {
        if (character === '\r' || character === '\n') return finish(secret);
        if (character === '\u0003') return finish(null);
        if (character === '\u0004') {
          if (secret === '') return finish(null);
          continue;
        }
        if (character === '\u001b') return; // an escape sequence: the rest of the chunk belongs to it
        if (character === '\u007f' || character === '\b') secret = [...secret].slice(0, -1).join('');
        else if (character === '\u0015') secret = '';
        else if (character >= ' ') secret += character;
      }
    };
    output.write(question);
    setRawMode(true);
    input.on('data', onData);
    input.resume();
  });
}

/** Standard input as the password: UTF-8 text, one trailing line break removed. */
function passwordFromStdin(bytes: Buffer): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    throw new ClaimsgateError('CG_CONFIG_INPUT_UNREADABLE', 'Standard input is not UTF-8 text.', {
      hint: 'Pipe the password as UTF-8 text, on one line.',
      detail: { path: 'stdin' },
      cause,
    });
  }
  return text.replace(/\r?\n$/, '');
}

/** A new password: generated, from standard input, or typed twice on the terminal; null when cancelled. */
async function readNewPassword(
  io: CliIo,
  command: Command,
  username: string,
  options: PasswordOptions,
): Promise<{ password: string; generated: boolean } | null> {
  if (options.generate && options.passwordStdin)
    usage(command, 'give --password-stdin or --generate, not both');
  if (options.generate) return { password: generatePassword(), generated: true };
  if (options.passwordStdin) return { password: passwordFromStdin(await io.readStdin()), generated: false };
  const first = await readSecretOnTerminal(`New password for ${username}: `);
  if (first === undefined)
    usage(
      command,
      'there is no terminal to type the password on: pipe it with --password-stdin, or use --generate',
    );
  if (first === null) return null;
  // Judged before it is typed again: a refused password need not be typed twice.
  checkPasswordStrength(first, username);
  const second = await readSecretOnTerminal('Type it again: ');
  if (second === null || second === undefined) return null;
  if (second !== first)
    throw new ClaimsgateError('CG_ADMIN_INPUT_INVALID', 'The two passwords typed differ.', {
      hint: 'Run the command again and type the same password twice.',
      detail: { field: 'password' },
    });
  return { password: first, generated: false };
}

/** Reads, judges and hashes a new password, or reports the cancellation (null). */
async function newPasswordHash(
  io: CliIo,
  command: Command,
  username: string,
  options: PasswordOptions,
): Promise<{ hash: string; generated?: string } | null> {
  const chosen = await readNewPassword(io, command, username, options);
  if (chosen === null) {
    io.stderr('Cancelled. Nothing was changed.\n');
    return null;
  }
  checkPasswordStrength(chosen.password, username);
  const hash = await hashPassword(chosen.password);
  return chosen.generated ? { hash, generated: chosen.password } : { hash };
}

function printGenerated(io: CliIo, password: string | undefined): void {
  if (password !== undefined)
    io.stdout(`Password (shown this once; store it in your password manager now): ${password}\n`);
}

async function runCreate(
  io: CliIo,
  command: Command,
  name: string,
  options: PasswordOptions,
): Promise<number> {
  const username = normalizeAdminUsername(name);
  return withStore(io, options.db, async (store) => {
    // Checked before the password is asked for; the store refuses a duplicate all the same.
    if ((await store.getAdminAccount(username)) !== undefined)
      throw new ClaimsgateError('CG_STORE_DUPLICATE', `An admin account named ${username} already exists.`, {
        hint: `Choose another name, or set a new password with claimsgate admin set-password ${username}.`,
        detail: { entity: 'admin account', field: 'username', observed: username },
      });
    const secret = await newPasswordHash(io, command, username, options);
    if (secret === null) return EXIT.rejected;
    const account = await store.createAdminAccount({ username, passwordHash: secret.hash }, io.actor);
    if (options.json) {
      const generated = secret.generated === undefined ? {} : { generatedPassword: secret.generated };
      io.stdout(`${toJson({ ...viewAccount(account), ...generated })}\n`);
    } else {
      io.stdout(`Created admin account ${account.username}; it signs in at /admin/login.\n`);
      printGenerated(io, secret.generated);
    }
    return EXIT.ok;
  });
}

async function runSetPassword(
  io: CliIo,
  command: Command,
  name: string,
  options: PasswordOptions,
): Promise<number> {
  const username = normalizeAdminUsername(name);
  return withStore(io, options.db, async (store) => {
    if ((await store.getAdminAccount(username)) === undefined)
      throw notFoundError('admin account', username, 'username');
    const secret = await newPasswordHash(io, command, username, options);
    if (secret === null) return EXIT.rejected;
    const account = await store.setAdminPassword(username, secret.hash, io.actor);
    if (options.json) {
      const generated = secret.generated === undefined ? {} : { generatedPassword: secret.generated };
      io.stdout(`${toJson({ ...viewAccount(account), ...generated })}\n`);
    } else {
      io.stdout(
        `Set a new password for ${account.username}. Sessions already open last until they end (see docs/admin-accounts.md).\n`,
      );
      printGenerated(io, secret.generated);
    }
    return EXIT.ok;
  });
}

async function runList(io: CliIo, options: StoreOptions): Promise<number> {
  return withStore(io, options.db, async (store) => {
    const accounts = (await store.listAdminAccounts()).map(viewAccount);
    if (options.json) io.stdout(`${toJson(accounts)}\n`);
    else if (accounts.length === 0)
      io.stdout('No admin accounts. Create one with: claimsgate admin create <username>\n');
    else {
      const rows = accounts.map((account) => [
        account.username,
        formatInstant(account.createdAt),
        formatInstant(account.updatedAt),
        account.lastLoginAt === null ? 'never' : formatInstant(account.lastLoginAt),
      ]);
      io.stdout(`${renderTable(['USERNAME', 'CREATED', 'PASSWORD SET', 'LAST SIGN-IN'], rows)}\n`);
    }
    return EXIT.ok;
  });
}

async function runDelete(io: CliIo, name: string, options: DeleteOptions): Promise<number> {
  const username = normalizeAdminUsername(name);
  return withStore(io, options.db, async (store) => {
    const account = await store.getAdminAccount(username);
    if (account === undefined) throw notFoundError('admin account', username, 'username');
    const question = `Delete the admin account "${account.username}"? It can no longer sign in; a session already open lasts until it ends.`;
    if (!(await confirmChange(io, question, options.yes))) {
      io.stderr('Nothing was changed.\n');
      return EXIT.rejected;
    }
    await store.deleteAdminAccount(username, io.actor);
    io.stdout(
      options.json
        ? `${toJson({ deleted: account.username })}\n`
        : `Deleted admin account ${account.username}.\n`,
    );
    return EXIT.ok;
  });
}

function addPasswordOptions(command: Command): Command {
  return command
    .option('--password-stdin', 'read the password from standard input (one line)', false)
    .option('--generate', 'generate a strong password and print it once', false);
}

const PASSWORD_RULES =
  'Passwords: 12 to 1024 characters, not the user name, not one character repeated; stored as scrypt hashes only.';

/** `claimsgate admin …`: the local admin accounts that sign in at /admin/login. */
export function registerAdminCommand(program: Command, context: CliContext): void {
  const { io } = context;
  const admin = program
    .command('admin')
    .summary('create, list and delete local admin accounts')
    .description(
      [
        'Local admin accounts sign in to the admin site at /admin/login with a user name and a password.',
        'User names are 1 to 64 letters, digits and . _ @ - and are matched without regard to case.',
        'Admins can also sign in through an issuer named in admin.adminClaim.issuers whose token carries admin.adminClaim (see docs/admin-accounts.md).',
      ].join('\n'),
    );

  addPasswordOptions(
    addStoreOptions(
      admin.command('create').summary('create an admin account'),
      'print the account (and a generated password) as JSON',
    ),
  )
    .description(
      [
        'Create a local admin account. The password is typed twice on the terminal (not echoed), read from',
        'standard input with --password-stdin, or generated with --generate and printed once.',
        PASSWORD_RULES,
      ].join('\n'),
    )
    .argument('<username>', 'the user name')
    .addHelpText(
      'after',
      storeExamples(
        'claimsgate admin create alice',
        'claimsgate admin create alice --generate',
        'printf "%s" "$ADMIN_PASSWORD" | claimsgate admin create alice --password-stdin --db postgres://claimsgate@db/claimsgate',
      ),
    )
    .action(async (username: string, options: PasswordOptions, command: Command) => {
      await runAction(context, options.json, () => runCreate(io, command, username, options));
    });

  addStoreOptions(admin.command('list').summary('list the admin accounts'), 'print the accounts as JSON')
    .description(
      'List the local admin accounts with when they were created, last given a password and last signed in.',
    )
    .addHelpText('after', storeExamples('claimsgate admin list', 'claimsgate admin list --json'))
    .action(async (options: StoreOptions) => {
      await runAction(context, options.json, () => runList(io, options));
    });

  addPasswordOptions(
    addStoreOptions(
      admin.command('set-password').summary("set an admin account's password"),
      'print the account (and a generated password) as JSON',
    ),
  )
    .description(
      [
        'Set a new password for an admin account (a forgotten password, or a rotation). Sessions already open',
        'last until they end; see docs/admin-accounts.md to end them at once.',
        PASSWORD_RULES,
      ].join('\n'),
    )
    .argument('<username>', 'the user name')
    .addHelpText(
      'after',
      storeExamples('claimsgate admin set-password alice', 'claimsgate admin set-password alice --generate'),
    )
    .action(async (username: string, options: PasswordOptions, command: Command) => {
      await runAction(context, options.json, () => runSetPassword(io, command, username, options));
    });

  addStoreOptions(admin.command('delete').summary('delete an admin account'), 'print the result as JSON')
    .description('Delete a local admin account: it can no longer sign in. Asks first unless --yes is given.')
    .argument('<username>', 'the user name')
    .option('--yes', 'delete without asking', false)
    .addHelpText(
      'after',
      storeExamples('claimsgate admin delete alice', 'claimsgate admin delete alice --yes'),
    )
    .action(async (username: string, options: DeleteOptions) => {
      await runAction(context, options.json, () => runDelete(io, username, options));
    });
}
