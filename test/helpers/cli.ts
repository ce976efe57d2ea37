import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = `${root}bin/run.js`;

/** Options for a run of the built CLI. */
export interface CliOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

function assertBuilt(): void {
  if (!existsSync(`${root}dist/commands/install.js`))
    throw new Error('dist/ is missing: run `npm run build` first');
}

/**
 * Starts the built CLI as a user would, without a terminal (stdin closed), on the Node running the tests,
 * inheriting the environment (EECTL_HOME of the sandbox) plus `env`.
 */
export function startEectl(args: string[], options: CliOptions = {}): ResultPromise {
  assertBuilt();
  return execa(process.execPath, [bin, ...args], {
    cwd: options.cwd ?? root,
    env: { NO_COLOR: '1', ...options.env },
    reject: false,
    stdin: 'ignore',
    timeout: options.timeoutMs ?? 900_000,
  });
}

/** Runs the built CLI to the end: exit code, stdout, stderr and, for `--json` runs, the parsed envelope. */
export async function runEectl(args: string[], options: CliOptions = {}) {
  const r = await startEectl(args, options);
  const stdout = String(r.stdout);
  let json:
    | {
        status: number;
        result?: unknown;
        error?: { code: string; message: string; host?: string; log?: string };
      }
    | undefined;
  if (args.includes('--json')) {
    try {
      json = JSON.parse(stdout) as typeof json;
    } catch {
      json = undefined;
    }
  }
  return { code: r.exitCode, stdout, stderr: String(r.stderr), json };
}
