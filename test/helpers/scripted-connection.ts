import type { Connection, ExecOptions, ExecResult, RemoteCommand } from '../../src/lib/ssh/connection.js';
import { CommandFailedError } from '../../src/lib/errors.js';
import { nullLogger, type Logger } from '../../src/lib/util/log.js';

/** One scripted answer: the first rule whose pattern matches the command line (argv joined by spaces). */
export interface ScriptRule {
  match: RegExp | ((argv: readonly string[]) => boolean);
  /** A function also sees the command's options (its stdin, whether it runs as root). */
  answer: Partial<ExecResult> | ((argv: readonly string[], options: ExecOptions) => Partial<ExecResult>);
}

/**
 * A `Connection` for action-level tests: it records every command (and upload) and answers from rules;
 * a command no rule matches fails the test loudly, so a phase cannot run something unseen.
 */
export class ScriptedConnection implements Connection {
  log: Logger = nullLogger;
  readonly isRoot = true;
  readonly commands: string[][] = [];
  /** The options of each command in `commands`, at the same index. */
  readonly options: ExecOptions[] = [];
  /** What each command got on stdin, by its index in `commands` (only those that got any). */
  readonly stdins = new Map<number, string>();
  readonly uploads: { path: string; content: string }[] = [];
  readonly files = new Map<string, Buffer>();

  constructor(
    readonly name: string,
    private readonly rules: ScriptRule[],
  ) {}

  async connect(): Promise<void> {}

  async exec(command: RemoteCommand, options: ExecOptions = {}): Promise<ExecResult> {
    const argv = [...command];
    this.commands.push(argv);
    this.options.push(options);
    if (options.stdin !== undefined) this.stdins.set(this.commands.length - 1, options.stdin.toString());
    const line = argv.join(' ');
    const rule = this.rules.find((r) => (r.match instanceof RegExp ? r.match.test(line) : r.match(argv)));
    if (!rule) throw new Error(`${this.name}: no scripted answer for: ${line}`);
    const partial = typeof rule.answer === 'function' ? rule.answer(argv, options) : rule.answer;
    const result: ExecResult = { code: 0, stdout: '', stderr: '', ...partial };
    // Like the real connection: output streamed to a sink is not kept in the result.
    if (options.stdoutTo) {
      const sink = options.stdoutTo;
      await new Promise<void>((resolve) => sink.write(result.stdout, () => resolve()));
      result.stdout = '';
    }
    if (result.code !== 0 && options.check !== false) {
      const outputTail = result.stderr.split('\n').filter(Boolean).slice(-5);
      throw new CommandFailedError({ host: this.name, command: line, exitCode: result.code, outputTail });
    }
    return result;
  }

  async upload(remotePath: string, content: string | Buffer): Promise<void> {
    this.uploads.push({ path: remotePath, content: content.toString() });
    this.files.set(remotePath, Buffer.from(content));
  }

  async readFile(remotePath: string): Promise<Buffer | undefined> {
    return this.files.get(remotePath);
  }

  async close(): Promise<void> {}

  /** The commands run so far, each as one line. */
  get lines(): string[] {
    return this.commands.map((c) => c.join(' '));
  }
}
