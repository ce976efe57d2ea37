import { randomBytes } from 'node:crypto';
import { EectlError } from '../errors.js';
import { quoteArg } from './quote.js';

/**
 * Environment for a remote command without putting values on its command line (visible in `ps`, in
 * sshd's logs and in ours) and without SSH `env` requests (sshd's AcceptEnv refuses most names, and sudo
 * would drop them anyway). The command runs under a small `sh` script that reads `export` lines from
 * stdin up to a random end marker, evaluates them, and then execs the command, which keeps the rest of
 * stdin. The script reads with `read`, which takes a pipe one byte at a time, so it never swallows the
 * command's own input.
 */
const SCRIPT =
  'e=; while IFS= read -r l; do [ "$l" = "$0" ] && break; e="$e$l\n"; done; eval "$e"; unset e l; exec "$@"';

/** The wrapped argv (run it with sudo in front when needed) and the bytes to send before the stdin. */
export interface EnvWrapped {
  argv: string[];
  preamble: string;
}

/** Wraps `argv` so that `env` reaches it through stdin. */
export function wrapWithEnv(argv: readonly string[], env: Record<string, string>): EnvWrapped {
  const marker = `eectl-env-${randomBytes(8).toString('hex')}`;
  const lines = Object.entries(env).map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new EectlError(`environment variable name ${JSON.stringify(name)} is not valid`, {
        code: 'EINTERNAL',
        kind: 'bug',
      });
    }
    // quoteArg keeps newlines inside single quotes, so a multi-line value is still one shell word.
    return `export ${name}=${quoteArg(value)}\n`;
  });
  return { argv: ['sh', '-c', SCRIPT, marker, ...argv], preamble: `${lines.join('')}${marker}\n` };
}
