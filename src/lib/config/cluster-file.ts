import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { checkClusterText } from './load.js';
import { ConfigError, formatProblem } from './problems.js';
import type { ClusterConfig } from './schema.js';

/**
 * The cluster file as text and as validated config, for commands that change it (node join, remove,
 * promote, demote): an edit is checked like `eectl config validate` before anything is written, and the
 * file is replaced atomically with its mode kept.
 */
export class ClusterFile {
  private constructor(
    readonly path: string,
    readonly text: string,
    readonly config: ClusterConfig,
  ) {}

  /** Reads and checks the file (ConfigError, exit 2, when it has errors). */
  static async read(path: string, env: NodeJS.ProcessEnv = process.env): Promise<ClusterFile> {
    const text = await readFile(path, 'utf8');
    return new ClusterFile(path, text, checked(path, text, env, 'has'));
  }

  /** The file with `text` instead, checked; `what` names the edit in the error when the result is invalid. */
  edited(text: string, what: string, env: NodeJS.ProcessEnv = process.env): ClusterFile {
    return new ClusterFile(this.path, text, checked(this.path, text, env, `would have, ${what},`));
  }

  /** Index of the host with this address in spec.hosts, or -1. */
  indexOf(address: string): number {
    return this.config.spec.hosts.findIndex((h) => h.address === address);
  }

  /** Replaces the file on disk with this text: a temporary file beside it, renamed over it. */
  async write(): Promise<void> {
    const mode = await stat(this.path).then(
      (s) => s.mode & 0o777,
      () => 0o600,
    );
    const temp = join(dirname(this.path), `.${basename(this.path)}.${randomBytes(4).toString('hex')}`);
    try {
      await writeFile(temp, this.text, { mode });
      await rename(temp, this.path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
}

function checked(path: string, text: string, env: NodeJS.ProcessEnv, verb: string): ClusterConfig {
  const check = checkClusterText(text, {
    file: path,
    env,
    baseDir: dirname(resolve(path)),
    checkFiles: true,
  });
  if (check.config && check.errors.length === 0) return check.config;
  const count = `${check.errors.length} error${check.errors.length === 1 ? '' : 's'}`;
  throw new ConfigError(`${path} ${verb} ${count}:\n${check.errors.map(formatProblem).join('\n')}`, check);
}
