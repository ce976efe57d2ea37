import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs the built CLI without a terminal, on the Node running the tests. Needs `npm run build` first. */
export async function eectl(args: string[], options: { cwd: string; env?: Record<string, string> }) {
  if (!existsSync(`${root}dist/commands/init.js`))
    throw new Error('dist/ is missing: run `npm run build` first');
  const result = await execa(process.execPath, [`${root}bin/run.js`, ...args], {
    cwd: options.cwd,
    env: { HOME: options.cwd, NO_COLOR: '1', ...options.env },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
  return { code: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}
