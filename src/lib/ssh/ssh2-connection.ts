import type { Client, ClientChannel } from 'ssh2';
import { CommandFailedError, EectlError } from '../errors.js';
import type { Logger } from '../util/log.js';
import { CommandOutput, startedCommand, type CommandEnd } from './command-output.js';
import type { Connection, ExecOptions } from './connection.js';
import type { ResolvedTarget } from './endpoint.js';
import { abortedError, connectFailedError, connectionLostError } from './exec-errors.js';
import { type FileTransport } from './file-transfer.js';
import { JumpHosts } from './jump-hosts.js';
import { Limiter } from './limiter.js';
import { prepareCommand, type PreparedCommand } from './prepare-command.js';
import { quoteCommand } from './quote.js';
import { withRetries } from './retry.js';
import { readFileIfExists, removeQuietly, withSftp, writeNewFile } from './sftp.js';
import { detectSudo, type SudoState } from './sudo.js';
import { openClient, type TransportOptions } from './transport.js';
import { TransportConnection } from './transport-connection.js';

/** Settings of one SSH connection; `connect()` in connect.ts fills them from cluster.yaml and flags. */
export interface Ssh2ConnectionOptions {
  /** The host as named in cluster.yaml. */
  name: string;
  route: ResolvedTarget;
  transport: TransportOptions;
  /** Shared jump-host sessions (a pool passes one); a private set is made and closed otherwise. */
  jumpHosts?: JumpHosts;
  /** Channels open at once; sshd's MaxSessions is 10 by default, so stay below it. */
  maxChannels?: number;
  connectAttempts?: number;
  retryDelayMs?: number;
  /** Time a killed command gets to close its channel before we stop waiting for it. */
  killGraceMs?: number;
}

/** A Connection over ssh2: one SSH session per host, many channels on it, reconnecting after a drop. */
export class Ssh2Connection extends TransportConnection implements Connection {
  readonly name: string;
  readonly log: Logger;
  private client: Client | undefined;
  private connecting: Promise<void> | undefined;
  private sudo: SudoState | undefined;
  private closed = false;
  private readonly channels: Limiter;
  private readonly jumpHosts: JumpHosts;
  private readonly ownsJumpHosts: boolean;
  /** Rejecters of commands in flight, called when the connection drops under them. */
  private readonly inFlight = new Set<(error: unknown) => void>();

  constructor(private readonly options: Ssh2ConnectionOptions) {
    super();
    this.name = options.name;
    this.log = options.transport.log;
    this.channels = new Limiter(options.maxChannels ?? 8);
    this.ownsJumpHosts = options.jumpHosts === undefined;
    this.jumpHosts = options.jumpHosts ?? new JumpHosts(options.transport);
  }

  get isRoot(): boolean {
    return this.sudo?.isRoot ?? false;
  }

  /** Opens the session (retrying transient failures) and detects sudo; a no-op while connected. */
  connect(): Promise<void> {
    if (this.closed)
      return Promise.reject(
        new EectlError(`${this.name}: connection already closed`, { code: 'EINTERNAL', kind: 'bug' }),
      );
    if (this.client) return Promise.resolve();
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Over SSH the env always travels on stdin (the preamble): sshd passes on only the variables its AcceptEnv names. */
  protected envViaStdin(): boolean {
    return true;
  }

  /** The SFTP side of uploads and reads (file-transfer.ts has the flow both connections share). */
  protected readonly files: FileTransport = {
    sudo: () => this.sudoState(),
    writeNew: (path, data, mode) =>
      this.channels.run(() =>
        withSftp(this.requireClient(), async (sftp) => {
          try {
            await writeNewFile(sftp, path, data, mode);
          } catch (error) {
            throw this.transferError(`cannot write ${path}`, error);
          }
        }),
      ),
    // The login user wrote the temp, so the login user can remove it (over a new connection if need be).
    remove: (path) =>
      this.channels.run(() => withSftp(this.requireClient(), (sftp) => removeQuietly(sftp, path))),
    read: (path) =>
      this.channels.run(() =>
        withSftp(this.requireClient(), (sftp) =>
          readFileIfExists(sftp, path).catch((error: unknown) => {
            throw this.transferError(`cannot read ${path}`, error);
          }),
        ),
      ),
    runQuiet: (prepared) => this.run(prepared, {}, false),
  };

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    if (client) {
      await new Promise<void>((resolve) => {
        client.once('close', () => resolve());
        client.end();
        setTimeout(resolve, 2000).unref();
      });
    }
    if (this.ownsJumpHosts) await this.jumpHosts.closeAll();
  }

  private async open(): Promise<void> {
    const { target, jumps } = this.options.route;
    const attempts = this.options.connectAttempts ?? 3;
    const where = `${target.user}@${target.hostname}:${target.port}`;
    let client: Client;
    try {
      client = await withRetries(
        async () => {
          const sock = jumps.length > 0 ? await this.jumpHosts.tunnel(jumps, target) : undefined;
          return openClient(target, this.options.transport, sock);
        },
        {
          attempts,
          delayMs: this.options.retryDelayMs ?? 1000,
          onRetry: (error, attempt, delay) =>
            this.log.warn(
              `connection attempt ${attempt}/${attempts} failed (${(error as Error).message}); retrying in ${delay / 1000}s`,
            ),
        },
      );
    } catch (error) {
      throw error instanceof EectlError ? error : connectFailedError(this.name, where, attempts, error);
    }
    client.on('error', (error: Error) => this.log.debug(`ssh: ${error.message}`));
    client.on('close', () => this.dropped(client));
    this.client = client;
    if (this.sudo === undefined) {
      try {
        this.sudo = await detectSudo((argv) =>
          this.run(prepareCommand(this.name, argv, {}, undefined, true), {}, true).then(
            ({ end, output }) => ({
              code: end.code,
              stdout: output.stdout().toString(),
              stderr: output.stderr().toString(),
            }),
          ),
        );
      } catch (error) {
        // Not knowing how to become root is not a usable connection: the next call starts over.
        this.client = undefined;
        client.end();
        throw error;
      }
      const how = this.sudo.isRoot
        ? 'root'
        : this.sudo.passwordless
          ? 'sudo -n'
          : 'no root: sudo needs a password';
      this.log.debug(
        `connected to ${where}${jumps.length ? ` via ${jumps.map((j) => j.label).join(', ')}` : ''} as ${this.sudo.user} (${how})`,
      );
    } else {
      this.log.info(`reconnected to ${where}`);
    }
  }

  /** The connection went away: fail what runs on it; the next command reconnects. */
  private dropped(client: Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    if (!this.closed) this.log.warn('SSH connection lost');
    for (const fail of this.inFlight) fail(undefined);
  }

  protected sudoState(): SudoState {
    if (!this.sudo) throw new EectlError(`${this.name}: not connected`, { code: 'EINTERNAL', kind: 'bug' });
    return this.sudo;
  }

  private requireClient(): Client {
    if (!this.client) throw connectionLostError(this.name, 'sftp');
    return this.client;
  }

  private transferError(what: string, cause: unknown): EectlError {
    if (!this.client) return connectionLostError(this.name, 'sftp', cause);
    return new EectlError(`${this.name}: ${what}: ${(cause as Error).message}`, {
      code: 'ETRANSFER',
      kind: 'external',
      host: this.name,
      cause,
    });
  }

  /** Runs a prepared command on its own channel; resolves with how it ended, rejects only on drop/abort. */
  protected run(
    prepared: PreparedCommand,
    options: ExecOptions,
    logStdout: boolean,
  ): Promise<{ end: CommandEnd; output: CommandOutput }> {
    const output = new CommandOutput(this.log, {
      onStdout: options.onStdout,
      onStderr: options.onStderr,
      logStdout,
    });
    const { signal, timeoutMs } = options;
    return this.channels.run(async () => {
      if (signal?.aborted) throw abortedError(this.name, prepared.display, signal);
      const client = this.client;
      if (!client) throw connectionLostError(this.name, prepared.display);
      this.log.debug(`$ ${prepared.display}`);
      const end = startedCommand(this.name, prepared.display, options.check);
      await new Promise<void>((resolve, reject) => {
        let channel: ClientChannel | undefined;
        let finished = false;
        let killRequested = false;
        let graceTimer: NodeJS.Timeout | undefined;
        const finish = (error?: unknown): void => {
          if (finished) return;
          finished = true;
          clearTimeout(timer);
          clearTimeout(graceTimer);
          signal?.removeEventListener('abort', onAbort);
          this.inFlight.delete(onDrop);
          output.end();
          if (error === undefined) resolve();
          else reject(error);
        };
        const kill = (): void => {
          killRequested = true;
          if (!channel) return;
          // TERM first: sudo passes it on to the command, which KILL would not let it do.
          sendSignal(channel, 'TERM');
          channel.close();
          if (!finished) graceTimer = setTimeout(() => finish(), this.options.killGraceMs ?? 5000);
        };
        const onDrop = (): void => finish(connectionLostError(this.name, prepared.display));
        const onAbort = (): void => {
          kill();
          finish(abortedError(this.name, prepared.display, signal as AbortSignal));
        };
        const timer =
          timeoutMs === undefined
            ? undefined
            : setTimeout(() => {
                end.reason = `timed out after ${timeoutMs / 1000}s`;
                kill();
              }, timeoutMs);
        this.inFlight.add(onDrop);
        signal?.addEventListener('abort', onAbort, { once: true });
        client.exec(quoteCommand(prepared.argv), (error, stream) => {
          if (error) {
            finish(
              this.client === client
                ? channelError(this.name, prepared.display, error)
                : connectionLostError(this.name, prepared.display, error),
            );
            return;
          }
          channel = stream;
          if (finished || killRequested) return kill();
          const sink = options.stdoutTo;
          if (sink) {
            // Backpressure: the channel waits while the sink (an archive being written) catches up.
            sink.on('error', (sinkError: Error) => finish(sinkError));
            stream.on('data', (chunk: Buffer) => {
              if (!sink.write(chunk)) {
                stream.pause();
                sink.once('drain', () => stream.resume());
              }
            });
          } else {
            stream.on('data', (chunk: Buffer) => output.push('stdout', chunk));
          }
          stream.stderr.on('data', (chunk: Buffer) => output.push('stderr', chunk));
          stream.on('exit', (code: number | null) => {
            end.code = typeof code === 'number' ? code : null;
          });
          stream.on('close', () => finish());
          stream.on('error', (streamError: Error) => this.log.debug(`channel: ${streamError.message}`));
          const source = options.stdinFrom;
          if (source) {
            if (prepared.input) stream.write(prepared.input);
            source.on('error', (sourceError: Error) => {
              kill();
              finish(sourceError);
            });
            source.pipe(stream);
          } else {
            stream.end(prepared.input);
          }
        });
      });
      return { end, output };
    });
  }
}

/**
 * ssh2's `channel.signal()` sends nothing once our side has sent EOF, and we always have (EOF is how a
 * command learns its stdin ended), so the request goes through ssh2's protocol object, guarded in case
 * its internals change; without it the command would run on after its channel closes.
 */
function sendSignal(channel: ClientChannel, name: string): void {
  const internals = channel as unknown as {
    outgoing?: { id?: number; state?: string };
    _client?: { _protocol?: { signal?: (id: number, signal: string) => void } };
  };
  const id = internals.outgoing?.id;
  const signal = internals._client?._protocol?.signal;
  try {
    if (
      id !== undefined &&
      (internals.outgoing?.state === 'open' || internals.outgoing?.state === 'eof') &&
      signal
    ) {
      signal.call(internals._client?._protocol, id, name);
    } else {
      channel.signal(name);
    }
  } catch {
    // The channel is already gone: closing it is all that is left to do.
  }
}

function channelError(host: string, display: string, cause: Error): CommandFailedError {
  return new CommandFailedError({
    host,
    command: display,
    exitCode: null,
    outputTail: [],
    reason: `could not start: ${cause.message} (too many sessions? check MaxSessions in the host's sshd_config)`,
  });
}
