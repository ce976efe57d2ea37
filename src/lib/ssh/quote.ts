/**
 * The one place where remote command lines are built (docs/architecture.md, "One owner per outside world"): every argument is quoted for a
 * POSIX shell, so user input can never become shell syntax.
 */
export function quoteArg(arg: string): string {
  if (arg === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Quotes an argv for a POSIX shell: `['echo', "it's"]` → `echo 'it'\''s'`. */
export function quoteCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('quoteCommand: empty argv');
  return argv.map(quoteArg).join(' ');
}
