import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { findNodeRuntime, type NodeRuntime } from '../access/runtime.js';
import { EectlError, ExitCode } from '../errors.js';
import type { Host } from '../host/host.js';

/** A file of a program eectl runs on hosts, as uploaded. */
export interface ProgramFile {
  path: string;
  content: string;
  mode: number;
}

/** What a host needs to run one of eectl's Node programs, and the manifest that says whether it has it. */
export interface NodeProgram {
  runtime: NodeRuntime;
  files: ProgramFile[];
  /** Checksums of the runtime and of every file: equal to the host's copy means nothing to upload. */
  manifest: string;
}

export const sha256 = (content: string | Buffer): string =>
  createHash('sha256').update(content).digest('hex');

/**
 * One of eectl's Node programs (the authorization plugin and token service, the ingress watcher, the
 * webhook relay): `modules`, by their path under dist/lib, uploaded as they are into the same folders under
 * `dir` (their relative imports hold), a package.json that makes them ES modules, then the program's
 * `others` (units, vendored packages); and the manifest of them all with the runtime.
 */
export async function nodeProgram(
  dir: string,
  modules: readonly string[],
  others: readonly ProgramFile[],
): Promise<NodeProgram> {
  const runtime = await findNodeRuntime();
  const libDir = new URL('../', import.meta.url);
  const files = [
    ...(await Promise.all(
      modules.map(async (name) => ({
        path: `${dir}/${name}`,
        content: await readFile(new URL(name, libDir), 'utf8'),
        mode: 0o644,
      })),
    )),
    { path: `${dir}/package.json`, content: '{ "type": "module" }\n', mode: 0o644 },
    ...others,
  ];
  const sums = Object.fromEntries(files.map((f) => [f.path, sha256(f.content)]));
  const manifest = `${JSON.stringify({ node: runtime.sha256, nodeVersion: runtime.version, files: sums }, null, 2)}\n`;
  return { runtime, files, manifest };
}

/** Uploads the Node.js runtime to `path` on the host and checks what arrived. */
export async function uploadRuntime(host: Host, runtime: NodeRuntime, path: string): Promise<void> {
  await host.conn.upload(path, await runtime.content(), { mode: 0o755, sudo: true });
  const remote = (await host.sudo(['sha256sum', '--', path])).stdout.split(/\s+/)[0];
  if (remote === runtime.sha256) return;
  throw new EectlError(
    `${host.name}: ${path} arrived damaged (SHA-256 ${remote ?? '?'}, expected ${runtime.sha256})`,
    {
      code: 'ERUNTIME_CHECKSUM',
      kind: 'external',
      exitCode: ExitCode.partial,
      host: host.name,
      suggestions: ['Run install again; if it happens again, check the disk space on the host.'],
    },
  );
}
