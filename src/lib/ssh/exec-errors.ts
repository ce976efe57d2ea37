import { EectlError, ExitCode } from '../errors.js';

/** The connection dropped while a command ran: it may or may not have finished on the host. */
export function connectionLostError(host: string, display: string, cause?: unknown): EectlError {
  return new EectlError(`${host}: connection lost while running \`${display}\``, {
    code: 'ECONNLOST',
    kind: 'external',
    host,
    cause,
    suggestions: [
      `Check that ${host} is up and reachable (a reboot, a network drop, or sshd restarting ends the connection).`,
      'Run again: eectl converges, so steps that finished are not repeated.',
    ],
  });
}

/** The caller's AbortSignal fired (Ctrl-C, a sibling task failed): the command was stopped. */
export function abortedError(host: string, display: string, signal: AbortSignal): EectlError {
  return new EectlError(`${host}: \`${display}\` was cancelled`, {
    code: 'EABORTED',
    kind: 'external',
    exitCode: ExitCode.interrupted,
    host,
    cause: signal.reason,
  });
}

/** The host could not be reached or logged in to after every attempt. */
export function connectFailedError(
  host: string,
  where: string,
  attempts: number,
  cause: unknown,
): EectlError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new EectlError(
    `${host}: cannot connect to ${where}${attempts > 1 ? ` (${attempts} attempts)` : ''}: ${reason}`,
    {
      code: 'ECONNECT',
      kind: 'external',
      host,
      cause,
      suggestions: [
        `Check that ${host} is up, that sshd listens on the port shown, and that no firewall blocks it.`,
        `Try \`ssh -v ${where.replace(/:(\d+)$/, ' -p $1')}\` from this machine.`,
      ],
    },
  );
}
