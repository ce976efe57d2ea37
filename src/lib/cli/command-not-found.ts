import type { Hook } from '@oclif/core';
import { renderError } from '../base-command.js';
import { ExitCode, UsageError } from '../errors.js';

/**
 * oclif's `command_not_found` hook: a command eectl does not have is a usage error like any other (exit 2,
 * the closest commands as suggestions), and under --json its envelope is on stdout, not oclif's own text
 * on stderr.
 */
const hook: Hook<'command_not_found'> = async function (options) {
  // `eectl --json` alone: oclif takes the first word for the command's name.
  const given = !options.id.startsWith('-');
  const close = given ? closest(options.id, options.config.commandIDs).map((id) => `eectl ${words(id)}`) : [];
  const e = new UsageError(given ? `eectl has no command \`${words(options.id)}\`` : 'no command given', {
    suggestions: [
      ...(close.length > 0 ? [`Did you mean ${close.join(' or ')}?`] : []),
      'eectl --help lists the commands.',
    ],
  });
  if ([options.id, ...(options.argv ?? [])].includes('--json')) {
    const envelope = {
      status: e.exitCode,
      error: { code: e.code, message: e.message, suggestions: e.suggestions },
    };
    process.stdout.write(`${JSON.stringify(envelope, null, 2)}\n`);
  } else {
    process.stderr.write(renderError(e, undefined));
  }
  process.exitCode = ExitCode.usage;
};
export default hook;

/** `node:ls` as it is typed: `node ls`. */
const words = (id: string): string => id.split(':').join(' ');

/** The command ids at most two edits from `id` (a typo), or that start with it (a prefix), closest first. */
export function closest(id: string, ids: readonly string[]): string[] {
  const scored = ids
    .map((candidate) => ({ candidate, d: candidate.startsWith(id) ? 1 : distance(id, candidate) }))
    .filter(({ d }) => d <= 2)
    .sort((a, b) => a.d - b.d || a.candidate.localeCompare(b.candidate));
  return scored.slice(0, 3).map(({ candidate }) => candidate);
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(
        previous[j]! + 1,
        row[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    previous = row;
  }
  return previous[b.length]!;
}
