import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The sandbox's registry image (Debian's Distribution 2.8.2, built by eectl sandbox): its binary runs here. */
export const SANDBOX_REGISTRY_IMAGE = 'eectl-sandbox/registry:2.8.2';

/** Copies /bin/registry out of the sandbox image into `dir`; undefined when the image is not on this engine. */
export async function registryBinary(dir: string): Promise<string | undefined> {
  const target = join(dir, 'registry');
  if (existsSync(target)) return target;
  try {
    const { stdout } = await run('docker', ['create', SANDBOX_REGISTRY_IMAGE], { timeout: 60_000 });
    const id = stdout.trim();
    try {
      await run('docker', ['cp', `${id}:/bin/registry`, target], { timeout: 60_000 });
    } finally {
      await run('docker', ['rm', id], { timeout: 60_000 }).catch(() => undefined);
    }
    return target;
  } catch {
    return undefined;
  }
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * A real Distribution registry on 127.0.0.1 with the given `auth` section (YAML lines), over TLS; or, with
 * `socket`, on that unix socket alone without TLS (as behind the immutable-tag gate).
 */
export async function startDistribution(options: {
  binary: string;
  dir: string;
  certFile: string;
  keyFile: string;
  auth: string[];
  socket?: string;
}): Promise<{ address: string; stop: () => Promise<void>; output: () => string }> {
  const port = await freePort();
  const config = join(options.dir, 'registry.yml');
  const listen = options.socket
    ? ['  net: unix', `  addr: ${JSON.stringify(options.socket)}`]
    : [
        `  addr: 127.0.0.1:${port}`,
        `  tls: { certificate: ${JSON.stringify(options.certFile)}, key: ${JSON.stringify(options.keyFile)} }`,
      ];
  await writeFile(
    config,
    [
      'version: 0.1',
      'log: { level: info }',
      // Deletes on, as eectl configures its registry (registry/config-file.ts): prune deletes by digest.
      `storage: { filesystem: { rootdirectory: ${JSON.stringify(join(options.dir, 'storage'))} }, delete: { enabled: true } }`,
      'http:',
      ...listen,
      'auth:',
      ...options.auth.map((l) => `  ${l}`),
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(options.binary, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString('utf8')));
  const deadline = Date.now() + 15_000;
  while (!/listening on/.test(output)) {
    if (child.exitCode !== null) throw new Error(`the registry exited: ${output}`);
    if (Date.now() > deadline) throw new Error(`the registry did not start within 15 s: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    address: `127.0.0.1:${port}`,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
