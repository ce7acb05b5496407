import { userInfo } from 'node:os';
import { runCli } from './program.js';
import { confirmOnTerminal } from './tty-confirm.js';

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    // A container user without a passwd entry has no name.
    return process.env.USER ?? 'unknown';
  }
}

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin,
  now: () => new Date(),
  fetch: globalThis.fetch,
  env: process.env,
  actor: `cli:${osUser()}`,
  confirm: confirmOnTerminal,
});
