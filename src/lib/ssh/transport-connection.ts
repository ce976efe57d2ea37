import type { Logger } from '../util/log.js';
import { settleCommand, type CommandEnd, type CommandOutput } from './command-output.js';
import type { ExecOptions, ExecResult, RemoteCommand, UploadOptions } from './connection.js';
import { readHostFile, uploadFile, type FileTransport } from './file-transfer.js';
import { prepareCommand, type PreparedCommand } from './prepare-command.js';
import type { SudoState } from './sudo.js';

/**
 * What the two connections (ssh2, local) share: a command is prepared (sudo, env, stdin) and settled
 * (exit code, errors) the same way, and uploads and reads follow file-transfer.ts's one flow. Each
 * connection says only how it runs a prepared command, how it moves files and how env reaches a command.
 */
export abstract class TransportConnection {
  abstract readonly name: string;
  abstract readonly log: Logger;
  abstract readonly isRoot: boolean;
  abstract connect(): Promise<void>;
  /** Where files go and come from (SFTP, or this machine's file system). */
  protected abstract readonly files: FileTransport;
  /** The sudo rule learned at connect. */
  protected abstract sudoState(): SudoState | undefined;
  /** Whether the command's env goes through its stdin (the preamble), not the channel's environment. */
  protected abstract envViaStdin(options: ExecOptions): boolean;
  protected abstract run(
    prepared: PreparedCommand,
    options: ExecOptions,
    logStdout: boolean,
  ): Promise<{ end: CommandEnd; output: CommandOutput }>;

  async exec(command: RemoteCommand, options: ExecOptions = {}): Promise<ExecResult> {
    await this.connect();
    const prepared = prepareCommand(this.name, command, options, this.sudoState(), this.envViaStdin(options));
    const { end, output } = await this.run(prepared, options, options.secretOutput !== true);
    return settleCommand(this.log, end, output);
  }

  async upload(remotePath: string, content: string | Buffer, options: UploadOptions = {}): Promise<void> {
    await this.connect();
    await uploadFile(this, this.files, remotePath, content, options);
  }

  async readFile(remotePath: string, options: { sudo?: boolean } = {}): Promise<Buffer | undefined> {
    await this.connect();
    return readHostFile(this, this.files, remotePath, options);
  }
}
