import { addSecret, redact } from '../util/redact.js';
import type { ExecOptions, RemoteCommand } from './connection.js';
import { wrapWithEnv } from './env-preamble.js';
import { quoteCommand } from './quote.js';
import { sudoPrefix, type SudoState } from './sudo.js';

/** A command ready for a transport: what to run, what to feed it, and how to show it in logs. */
export interface PreparedCommand {
  argv: string[];
  /** Bytes for stdin (env preamble first, then the caller's stdin), or undefined for none. */
  input: Buffer | undefined;
  /** Quoted and redacted; names env variables, never their values. */
  display: string;
}

/**
 * Applies the exec options every transport shares: registers secrets (env values are secrets too), puts
 * `sudo -n --` in front when asked and needed, and moves env values into stdin when `envViaStdin`.
 */
export function prepareCommand(
  host: string,
  command: RemoteCommand,
  options: ExecOptions,
  sudo: SudoState | undefined,
  envViaStdin: boolean,
): PreparedCommand {
  if (command.length === 0) throw new Error('exec: empty command');
  for (const secret of options.secrets ?? []) addSecret(secret);
  const env = options.env ?? {};
  const names = Object.keys(env);
  for (const value of Object.values(env)) addSecret(value);
  if (options.sudo && !sudo) throw new Error('exec: sudo asked before sudo detection');
  const prefix = options.sudo && sudo ? sudoPrefix(sudo, host) : [];
  const stdin = options.stdin === undefined ? undefined : Buffer.from(options.stdin);
  const display =
    redact(quoteCommand([...prefix, ...command])) + (names.length > 0 ? ` (env: ${names.join(', ')})` : '');
  if (!envViaStdin || names.length === 0) return { argv: [...prefix, ...command], input: stdin, display };
  const wrapped = wrapWithEnv(command, env);
  const preamble = Buffer.from(wrapped.preamble);
  return {
    argv: [...prefix, ...wrapped.argv],
    input: stdin ? Buffer.concat([preamble, stdin]) : preamble,
    display,
  };
}
