import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { execa } from 'execa';
import { EectlError } from '../errors.js';
import type { Logger } from '../util/log.js';
import { CommandOutput, startedCommand, type CommandEnd } from './command-output.js';
import type { Connection, ExecOptions } from './connection.js';
import { abortedError } from './exec-errors.js';
import { type FileTransport } from './file-transfer.js';
import { prepareCommand, type PreparedCommand } from './prepare-command.js';
import { TransportConnection } from './transport-connection.js';
import { detectSudo, type SudoState } from './sudo.js';

/** Exit status of a shell for "command not found", used when the program cannot be spawned at all. */
const NOT_FOUND_EXIT = 127;

/**
 * A Connection to this machine (`localhost: true`), on execa: the same contract, errors and sudo rule as
 * over SSH, so phases cannot tell the difference.
 */
export class LocalConnection extends TransportConnection implements Connection {
  readonly name: string;
  private sudo: SudoState | undefined;

  constructor(
    name: string,
    readonly log: Logger,
  ) {
    super();
    this.name = name;
  }

  get isRoot(): boolean {
    return this.sudo?.isRoot ?? false;
  }

  async connect(): Promise<void> {
    if (this.sudo) return;
    this.sudo = await detectSudo(async (argv) => {
      const { end, output } = await this.run(prepareCommand(this.name, argv, {}, undefined, false), {}, true);
      return { code: end.code, stdout: output.stdout().toString(), stderr: output.stderr().toString() };
    });
    this.log.debug(
      `local commands run as ${this.sudo.user}${this.sudo.isRoot ? '' : this.sudo.passwordless ? ' (sudo -n)' : ' (no sudo)'}`,
    );
  }

  protected sudoState(): SudoState | undefined {
    return this.sudo;
  }

  /** sudo drops the environment, so env goes through stdin then; otherwise the process env carries it. */
  protected envViaStdin(options: ExecOptions): boolean {
    return options.sudo === true && !this.isRoot;
  }

  /** The local-files side of uploads and reads (file-transfer.ts has the flow both connections share). */
  protected readonly files: FileTransport = {
    sudo: () => this.sudo as SudoState,
    tmpDir: tmpdir(),
    writeNew: async (path, data, mode) => {
      try {
        // 'wx' refuses an existing file or a planted symlink; the mode is set again against the umask.
        await writeFile(path, data, { mode, flag: 'wx' });
        await chmod(path, mode);
      } catch (error) {
        throw this.transferError(`cannot write ${path}`, error);
      }
    },
    remove: (path) => rm(path, { force: true }),
    read: async (path) => {
      try {
        return await readFile(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw this.transferError(`cannot read ${path}`, error);
      }
    },
    runQuiet: (prepared) => this.run(prepared, {}, false),
  };

  private transferError(what: string, cause: unknown): EectlError {
    return new EectlError(`${this.name}: ${what}: ${(cause as Error).message}`, {
      code: 'ETRANSFER',
      kind: 'external',
      host: this.name,
      cause,
    });
  }

  async close(): Promise<void> {}

  protected async run(
    prepared: PreparedCommand,
    options: ExecOptions,
    logStdout: boolean,
  ): Promise<{ end: CommandEnd; output: CommandOutput }> {
    const { signal, timeoutMs } = options;
    if (signal?.aborted) throw abortedError(this.name, prepared.display, signal);
    const output = new CommandOutput(this.log, {
      onStdout: options.onStdout,
      onStderr: options.onStderr,
      logStdout,
    });
    const end = startedCommand(this.name, prepared.display, options.check);
    this.log.debug(`$ ${prepared.display}`);
    const [file, ...args] = prepared.argv as [string, ...string[]];
    const subprocess = execa(file, args, {
      reject: false,
      buffer: false,
      stripFinalNewline: false,
      // Without input the child gets an empty stdin, as an SSH channel whose stdin was closed.
      ...(options.stdinFrom ? { stdin: 'pipe' as const } : { input: prepared.input ?? '' }),
      // Harmless under sudo, which drops it: then the values come through the stdin preamble.
      env: options.env,
      extendEnv: true,
      ...(timeoutMs === undefined ? {} : { timeout: timeoutMs }),
      ...(signal === undefined ? {} : { cancelSignal: signal }),
    });
    if (options.stdinFrom) {
      if (prepared.input) subprocess.stdin.write(prepared.input);
      options.stdinFrom.pipe(subprocess.stdin);
    }
    if (options.stdoutTo) subprocess.stdout.pipe(options.stdoutTo, { end: false });
    else subprocess.stdout.on('data', (chunk: Buffer) => output.push('stdout', chunk));
    subprocess.stderr.on('data', (chunk: Buffer) => output.push('stderr', chunk));
    const result = await subprocess;
    if (
      result.exitCode === undefined &&
      result.signal === undefined &&
      !result.isCanceled &&
      !result.timedOut
    ) {
      // Spawning failed (no such program): report it as a shell would, with the reason in the output.
      end.code = NOT_FOUND_EXIT;
      output.push('stderr', Buffer.from(`${result.shortMessage}\n`));
    } else {
      end.code = result.exitCode ?? null;
    }
    output.end();
    if (result.isCanceled && signal) throw abortedError(this.name, prepared.display, signal);
    if (result.timedOut) end.reason = `timed out after ${(timeoutMs ?? 0) / 1000}s`;
    return { end, output };
  }
}
