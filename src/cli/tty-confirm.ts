import { createInterface } from 'node:readline/promises';

/**
 * Asks a y/N question on the terminal: the question goes to stderr (stdout
 * may be carrying JSON), the answer is read from stdin. Resolves `undefined`
 * without asking when stdin is not a TTY (a pipe, a CI job), so that the
 * caller can refuse instead of reading an answer from piped data.
 */
export async function confirmOnTerminal(question: string): Promise<boolean | undefined> {
  if (process.stdin.isTTY !== true) return undefined;
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(`${question} [y/N] `);
    return /^\s*y(?:es)?\s*$/i.test(answer);
  } finally {
    prompt.close();
  }
}
